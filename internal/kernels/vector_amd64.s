//go:build amd64 && !noasm

#include "textflag.h"

// The loops take n, a multiple of 8 (16 for the reductions); the Go
// wrappers in stubs_amd64.go finish the tail. Each does 32 elements per
// iteration while it can, then 8 (or 16).

// func axpyAVX2(a float32, x, y *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
axpy32:
	CMPQ CX, $32
	JLT  axpy8
	VMULPS (SI), Y0, Y1
	VMULPS 32(SI), Y0, Y2
	VMULPS 64(SI), Y0, Y3
	VMULPS 96(SI), Y0, Y4
	VADDPS (DI), Y1, Y1
	VADDPS 32(DI), Y2, Y2
	VADDPS 64(DI), Y3, Y3
	VADDPS 96(DI), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  axpy32
axpy8:
	TESTQ CX, CX
	JZ    axpydone
	VMULPS (SI), Y0, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpy8
axpydone:
	VZEROUPPER
	RET

// func scalAVX2(a float32, x *float32, n int)
TEXT ·scalAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
scal32:
	CMPQ CX, $32
	JLT  scal8
	VMULPS (DI), Y0, Y1
	VMULPS 32(DI), Y0, Y2
	VMULPS 64(DI), Y0, Y3
	VMULPS 96(DI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  scal32
scal8:
	TESTQ CX, CX
	JZ    scaldone
	VMULPS (DI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scal8
scaldone:
	VZEROUPPER
	RET

// func addAVX2(dst, a, b *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
add32:
	CMPQ CX, $32
	JLT  add8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VADDPS (DX), Y1, Y1
	VADDPS 32(DX), Y2, Y2
	VADDPS 64(DX), Y3, Y3
	VADDPS 96(DX), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  add32
add8:
	TESTQ CX, CX
	JZ    adddone
	VMOVUPS (SI), Y1
	VADDPS (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  add8
adddone:
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
mul32:
	CMPQ CX, $32
	JLT  mul8
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VMULPS (DX), Y1, Y1
	VMULPS 32(DX), Y2, Y2
	VMULPS 64(DX), Y3, Y3
	VMULPS 96(DX), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  mul32
mul8:
	TESTQ CX, CX
	JZ    muldone
	VMOVUPS (SI), Y1
	VMULPS (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  mul8
muldone:
	VZEROUPPER
	RET

// func reluAVX2(dst, src *float32, n int)
// VMAXPS returns its second source (here x) unless 0 > x: NaN and -0 pass.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
relu32:
	CMPQ CX, $32
	JLT  relu8
	VMAXPS (SI), Y0, Y1
	VMAXPS 32(SI), Y0, Y2
	VMAXPS 64(SI), Y0, Y3
	VMAXPS 96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  relu32
relu8:
	TESTQ CX, CX
	JZ    reludone
	VMAXPS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  relu8
reludone:
	VZEROUPPER
	RET

// func reluBackwardAVX2(dst, grad, out *float32, n int)
// dst = out > 0 ? dst+g : dst, with a blend so that untouched elements keep
// their exact bits (-0 + 0 would turn -0 into +0).
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ out+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
relub8:
	TESTQ CX, CX
	JZ    relubdone
	VMOVUPS (DX), Y1
	VCMPPS $0x1e, Y0, Y1, Y1
	VMOVUPS (DI), Y2
	VADDPS (SI), Y2, Y3
	VBLENDVPS Y1, Y3, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  relub8
relubdone:
	VZEROUPPER
	RET

// func sumAVX2(lanes *[16]float64, x *float32, n int)
// Element i goes to lane i mod 16: Y0 holds lanes 0-3, Y1 4-7, Y2 8-11,
// Y3 12-15.
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ lanes+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
sum16:
	TESTQ CX, CX
	JZ    sumdone
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  sum16
sumdone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func dotAVX2(lanes *[16]float64, x, y *float32, n int)
// As sumAVX2 with the exact float64 products x[i]*y[i].
TEXT ·dotAVX2(SB), NOSPLIT, $0-32
	MOVQ lanes+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
dot16:
	TESTQ CX, CX
	JZ    dotdone
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VCVTPS2PD (DX), Y8
	VCVTPS2PD 16(DX), Y9
	VCVTPS2PD 32(DX), Y10
	VCVTPS2PD 48(DX), Y11
	VMULPD Y8, Y4, Y4
	VMULPD Y9, Y5, Y5
	VMULPD Y10, Y6, Y6
	VMULPD Y11, Y7, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  dot16
dotdone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func maxAbsAVX2(x *float32, n int) (max float32, nan bool)
// Y0 is the running max of |x|, Y1 ORs together the unordered (NaN)
// comparisons; max is exact, so the lane order does not matter.
TEXT ·maxAbsAVX2(SB), NOSPLIT, $0-21
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0x7fffffff, AX
	MOVL AX, X7
	VPBROADCASTD X7, Y7
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
maxabs8:
	TESTQ CX, CX
	JZ    maxabsdone
	VANDPS (SI), Y7, Y2
	VMAXPS Y2, Y0, Y0
	VCMPPS $3, Y2, Y2, Y3
	VORPS Y3, Y1, Y1
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  maxabs8
maxabsdone:
	VEXTRACTF128 $1, Y0, X2
	VMAXPS X2, X0, X0
	VMOVHLPS X0, X2, X2
	VMAXPS X2, X0, X0
	VPSHUFD $1, X0, X2
	VMAXPS X2, X0, X0
	MOVSS X0, max+16(FP)
	VPTEST Y1, Y1
	SETNE nan+20(FP)
	VZEROUPPER
	RET
