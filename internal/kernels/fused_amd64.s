//go:build amd64 && !noasm

#include "textflag.h"

// AVX2 bodies of the fused element-wise loops of fused.go. The 1-D loops
// take n, a multiple of 8 (16 for maskedSumDot); the Go wrappers in
// fused_amd64.go finish the tail. affineRowsAVX2 does whole rows, the last
// partial vector of each with masked loads and stores.

// tailMask<>: eight all-ones dwords then eight zeros; the 8 dwords at
// (8-r)*4 enable the first r lanes.
DATA tailMask<>+0(SB)/8, $0xffffffffffffffff
DATA tailMask<>+8(SB)/8, $0xffffffffffffffff
DATA tailMask<>+16(SB)/8, $0xffffffffffffffff
DATA tailMask<>+24(SB)/8, $0xffffffffffffffff
DATA tailMask<>+32(SB)/8, $0
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// func reluGradAVX2(dst, grad, out *float32, n int)
// dst = (0 < out) & g: the ordered compare is false for NaN.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ out+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
relug32:
	CMPQ CX, $32
	JLT  relug8
	VCMPPS $0x11, (DX), Y0, Y1
	VCMPPS $0x11, 32(DX), Y0, Y2
	VCMPPS $0x11, 64(DX), Y0, Y3
	VCMPPS $0x11, 96(DX), Y0, Y4
	VANDPS (SI), Y1, Y1
	VANDPS 32(SI), Y2, Y2
	VANDPS 64(SI), Y3, Y3
	VANDPS 96(SI), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  relug32
relug8:
	TESTQ CX, CX
	JZ    relugdone
	VCMPPS $0x11, (DX), Y0, Y1
	VANDPS (SI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  relug8
relugdone:
	VZEROUPPER
	RET

// func affineRowsAVX2(dst *float32, dstPitch int, src *float32, srcPitch int, res *float32, resPitch int, rows, cols int, a, b float32, flags int)
// flags: bit 0 ReLU, bit 1 residual. Pitches are in floats.
TEXT ·affineRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ dst+0(FP), DI
	MOVQ dstPitch+8(FP), R11
	SHLQ $2, R11
	MOVQ src+16(FP), SI
	MOVQ srcPitch+24(FP), R12
	SHLQ $2, R12
	MOVQ res+32(FP), R10
	MOVQ resPitch+40(FP), R13
	SHLQ $2, R13
	VBROADCASTSS a+64(FP), Y1
	VBROADCASTSS b+68(FP), Y2
	MOVQ flags+72(FP), BX
	VXORPS Y0, Y0, Y0
	// Y3: the mask of the last partial vector of a row (cols mod 8 lanes).
	MOVQ cols+56(FP), AX
	ANDQ $7, AX
	LEAQ tailMask<>(SB), DX
	NEGQ AX
	VMOVDQU 32(DX)(AX*4), Y3
	MOVQ rows+48(FP), AX
affrow:
	TESTQ AX, AX
	JZ    affdone
	MOVQ DI, R8
	MOVQ SI, R9
	MOVQ R10, DX
	MOVQ cols+56(FP), CX
affvec:
	CMPQ CX, $8
	JLT  afftail
	VMOVUPS (R9), Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y2, Y4, Y4
	TESTQ $2, BX
	JZ    affv1
	VADDPS (DX), Y4, Y4
affv1:
	TESTQ $1, BX
	JZ    affv2
	VMAXPS Y4, Y0, Y4
affv2:
	VMOVUPS Y4, (R8)
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  affvec
afftail:
	TESTQ CX, CX
	JZ    affnext
	VMASKMOVPS (R9), Y3, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y2, Y4, Y4
	TESTQ $2, BX
	JZ    afft1
	VMASKMOVPS (DX), Y3, Y5
	VADDPS Y5, Y4, Y4
afft1:
	TESTQ $1, BX
	JZ    afft2
	VMAXPS Y4, Y0, Y4
afft2:
	VMASKMOVPS Y4, Y3, (R8)
affnext:
	ADDQ R11, DI
	ADDQ R12, SI
	ADDQ R13, R10
	DECQ AX
	JMP  affrow
affdone:
	VZEROUPPER
	RET

// func maskedSumDotAVX2(ls, ld *[16]float64, grad, mask, x, dres *float32, n int, flags int)
// flags: bit 0 mask, bit 1 dres, bit 2 add into dres. Element i goes to
// lane i mod 16 of both sums: Y0-Y3 hold the lanes of sum(dz), Y12-Y15
// those of sum(dz*x), each product exact in float64.
TEXT ·maskedSumDotAVX2(SB), NOSPLIT, $0-64
	MOVQ ls+0(FP), R8
	MOVQ ld+8(FP), R9
	MOVQ grad+16(FP), SI
	MOVQ mask+24(FP), DX
	MOVQ x+32(FP), R10
	MOVQ dres+40(FP), DI
	MOVQ n+48(FP), CX
	MOVQ flags+56(FP), BX
	VMOVUPD (R8), Y0
	VMOVUPD 32(R8), Y1
	VMOVUPD 64(R8), Y2
	VMOVUPD 96(R8), Y3
	VMOVUPD (R9), Y12
	VMOVUPD 32(R9), Y13
	VMOVUPD 64(R9), Y14
	VMOVUPD 96(R9), Y15
	VXORPS Y11, Y11, Y11
msd16:
	TESTQ CX, CX
	JZ    msddone
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	TESTQ $1, BX
	JZ    msdnomask
	VCMPPS $0x11, (DX), Y11, Y6
	VCMPPS $0x11, 32(DX), Y11, Y7
	VANDPS Y6, Y4, Y4
	VANDPS Y7, Y5, Y5
	ADDQ $64, DX
msdnomask:
	TESTQ $2, BX
	JZ    msdsum
	TESTQ $4, BX
	JZ    msdstore
	VADDPS (DI), Y4, Y6
	VADDPS 32(DI), Y5, Y7
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	JMP   msdstored
msdstore:
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
msdstored:
	ADDQ $64, DI
msdsum:
	VCVTPS2PD X4, Y6
	VEXTRACTF128 $1, Y4, X7
	VCVTPS2PD X7, Y7
	VCVTPS2PD X5, Y8
	VEXTRACTF128 $1, Y5, X9
	VCVTPS2PD X9, Y9
	VADDPD Y6, Y0, Y0
	VADDPD Y7, Y1, Y1
	VADDPD Y8, Y2, Y2
	VADDPD Y9, Y3, Y3
	VCVTPS2PD (R10), Y4
	VCVTPS2PD 16(R10), Y5
	VMULPD Y4, Y6, Y6
	VMULPD Y5, Y7, Y7
	VCVTPS2PD 32(R10), Y4
	VCVTPS2PD 48(R10), Y5
	VMULPD Y4, Y8, Y8
	VMULPD Y5, Y9, Y9
	VADDPD Y6, Y12, Y12
	VADDPD Y7, Y13, Y13
	VADDPD Y8, Y14, Y14
	VADDPD Y9, Y15, Y15
	ADDQ $64, SI
	ADDQ $64, R10
	SUBQ $16, CX
	JMP  msd16
msddone:
	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, 64(R8)
	VMOVUPD Y3, 96(R8)
	VMOVUPD Y12, (R9)
	VMOVUPD Y13, 32(R9)
	VMOVUPD Y14, 64(R9)
	VMOVUPD Y15, 96(R9)
	VZEROUPPER
	RET

// func normGradAVX2(dx, grad, mask, x *float32, n int, k1, k2, k0 float32, flags int)
// flags: bit 0 mask, bit 1 x, bit 2 add into dx.
// v = (g & (0 < mask))*k1 - x*k2 + k0 (+ dx).
TEXT ·normGradAVX2(SB), NOSPLIT, $0-64
	MOVQ dx+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ mask+16(FP), DX
	MOVQ x+24(FP), R10
	MOVQ n+32(FP), CX
	VBROADCASTSS k1+40(FP), Y1
	VBROADCASTSS k2+44(FP), Y2
	VBROADCASTSS k0+48(FP), Y3
	MOVQ flags+56(FP), BX
	VXORPS Y0, Y0, Y0
ng8:
	TESTQ CX, CX
	JZ    ngdone
	VMOVUPS (SI), Y4
	TESTQ $1, BX
	JZ    ngnomask
	VCMPPS $0x11, (DX), Y0, Y5
	VANDPS Y5, Y4, Y4
	ADDQ $32, DX
ngnomask:
	VMULPS Y1, Y4, Y4
	TESTQ $2, BX
	JZ    ngnox
	VMULPS (R10), Y2, Y5
	VSUBPS Y5, Y4, Y4
	ADDQ $32, R10
ngnox:
	VADDPS Y3, Y4, Y4
	TESTQ $4, BX
	JZ    ngstore
	VADDPS (DI), Y4, Y4
ngstore:
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  ng8
ngdone:
	VZEROUPPER
	RET
