//go:build arm64 && !noasm

#include "textflag.h"
#include "neon_arm64.h"

// The fused loops of fused.go, 4 elements per step; the Go wrappers in
// fused_arm64.go pass a multiple of 4 (of 16 for maskedSumDotNEON) and
// finish the tail with the Go twins. Every operation is rounded as in the
// twins (FMUL, then FADD: no fused multiply-add in float32).

// func reluGradNEON(dst, grad, out *float32, n int)
// dst = grad where out > 0, +0 elsewhere (NaN included).
TEXT ·reluGradNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD grad+8(FP), R1
	MOVD out+16(FP), R2
	MOVD n+24(FP), R3
relug16:
	CMP  $16, R3
	BLT  relug4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FCMGTZ4S(4, 4)
	FCMGTZ4S(5, 5)
	FCMGTZ4S(6, 6)
	FCMGTZ4S(7, 7)
	VAND V4.B16, V0.B16, V0.B16
	VAND V5.B16, V1.B16, V1.B16
	VAND V6.B16, V2.B16, V2.B16
	VAND V7.B16, V3.B16, V3.B16
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R3
	B    relug16
relug4:
	CBZ  R3, relugdone
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	FCMGTZ4S(4, 4)
	VAND V4.B16, V0.B16, V0.B16
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R3
	B    relug4
relugdone:
	RET

// func affineRowsNEON(dst *float32, dstPitch int, src *float32, srcPitch int, res *float32, resPitch int, rows, cols int, a, b float32, flags int)
// dst = act(src*a + b (+ res)) over rows x cols, cols a multiple of 4;
// flags: bit 0 ReLU, bit 1 residual. Pitches are in floats.
TEXT ·affineRowsNEON(SB), NOSPLIT, $0-80
	MOVD  dst+0(FP), R0
	MOVD  dstPitch+8(FP), R1
	LSL   $2, R1
	MOVD  src+16(FP), R2
	MOVD  srcPitch+24(FP), R3
	LSL   $2, R3
	MOVD  res+32(FP), R4
	MOVD  resPitch+40(FP), R5
	LSL   $2, R5
	MOVD  rows+48(FP), R6
	FMOVS a+64(FP), F30
	VDUP  V30.S[0], V30.S4
	FMOVS b+68(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  flags+72(FP), R7
affrow:
	CBZ  R6, affdone
	MOVD R0, R8
	MOVD R2, R9
	MOVD R4, R10
	MOVD cols+56(FP), R11
affvec:
	CBZ  R11, affnext
	VLD1.P 16(R9), [V0.S4]
	FMUL4S(0, 0, 30)
	FADD4S(0, 0, 31)
	TBZ  $1, R7, affnores
	VLD1.P 16(R10), [V1.S4]
	FADD4S(0, 0, 1)
affnores:
	TBZ  $0, R7, affstore
	FCMLTZ4S(2, 0)
	BIC16B(0, 0, 2)
affstore:
	VST1.P [V0.S4], 16(R8)
	SUB  $4, R11
	B    affvec
affnext:
	ADD  R1, R0
	ADD  R3, R2
	ADD  R5, R4
	SUB  $1, R6
	B    affrow
affdone:
	RET

// func maskedSumDotNEON(ls, ld *[sumLanes]float64, grad, mask, x, dres *float32, n int, flags int)
// flags: bit 0 mask, bit 1 dres, bit 2 add into dres. dz = grad where
// mask > 0 (or everywhere without a mask); element i of each block of 16
// goes to lane i of both sums, V16-V23 holding those of sum(dz) and
// V24-V31 those of sum(dz*x), two lanes to a register as in sumNEON; the
// products are exact in float64.
TEXT ·maskedSumDotNEON(SB), NOSPLIT, $0-64
	MOVD ls+0(FP), R0
	MOVD ld+8(FP), R1
	MOVD grad+16(FP), R2
	MOVD mask+24(FP), R3
	MOVD x+32(FP), R4
	MOVD dres+40(FP), R5
	MOVD n+48(FP), R6
	MOVD flags+56(FP), R7
	VLD1.P 64(R0), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1   (R0), [V20.D2, V21.D2, V22.D2, V23.D2]
	SUB    $64, R0
	VLD1.P 64(R1), [V24.D2, V25.D2, V26.D2, V27.D2]
	VLD1   (R1), [V28.D2, V29.D2, V30.D2, V31.D2]
	SUB    $64, R1
msd16:
	CBZ  R6, msddone
	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	TBZ  $0, R7, msdnomask
	VLD1.P 64(R3), [V4.S4, V5.S4, V6.S4, V7.S4]
	FCMGTZ4S(4, 4)
	FCMGTZ4S(5, 5)
	FCMGTZ4S(6, 6)
	FCMGTZ4S(7, 7)
	VAND V4.B16, V0.B16, V0.B16
	VAND V5.B16, V1.B16, V1.B16
	VAND V6.B16, V2.B16, V2.B16
	VAND V7.B16, V3.B16, V3.B16
msdnomask:
	TBZ  $1, R7, msdsum
	TBZ  $2, R7, msdstore
	VLD1 (R5), [V4.S4, V5.S4, V6.S4, V7.S4]
	FADD4S(4, 4, 0)
	FADD4S(5, 5, 1)
	FADD4S(6, 6, 2)
	FADD4S(7, 7, 3)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R5)
	B    msdsum
msdstore:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
msdsum:
	VLD1.P 64(R4), [V4.S4, V5.S4, V6.S4, V7.S4]
	// One input vector at a time: dz widened into V8-V9, x into V10-V11.
	FCVTL2S(8, 0)
	FCVTL4S(9, 0)
	FCVTL2S(10, 4)
	FCVTL4S(11, 4)
	FADD2D(16, 16, 8)
	FADD2D(17, 17, 9)
	FMLA2D(24, 8, 10)
	FMLA2D(25, 9, 11)
	FCVTL2S(8, 1)
	FCVTL4S(9, 1)
	FCVTL2S(10, 5)
	FCVTL4S(11, 5)
	FADD2D(18, 18, 8)
	FADD2D(19, 19, 9)
	FMLA2D(26, 8, 10)
	FMLA2D(27, 9, 11)
	FCVTL2S(8, 2)
	FCVTL4S(9, 2)
	FCVTL2S(10, 6)
	FCVTL4S(11, 6)
	FADD2D(20, 20, 8)
	FADD2D(21, 21, 9)
	FMLA2D(28, 8, 10)
	FMLA2D(29, 9, 11)
	FCVTL2S(8, 3)
	FCVTL4S(9, 3)
	FCVTL2S(10, 7)
	FCVTL4S(11, 7)
	FADD2D(22, 22, 8)
	FADD2D(23, 23, 9)
	FMLA2D(30, 8, 10)
	FMLA2D(31, 9, 11)
	SUB  $16, R6
	B    msd16
msddone:
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(R0)
	VST1   [V20.D2, V21.D2, V22.D2, V23.D2], (R0)
	VST1.P [V24.D2, V25.D2, V26.D2, V27.D2], 64(R1)
	VST1   [V28.D2, V29.D2, V30.D2, V31.D2], (R1)
	RET

// func normGradNEON(dx, grad, mask, x *float32, n int, k1, k2, k0 float32, flags int)
// flags: bit 0 mask, bit 1 x, bit 2 add into dx.
// v = dz*k1 - x*k2 + k0 (+ dx), rounded after each operation.
TEXT ·normGradNEON(SB), NOSPLIT, $0-64
	MOVD  dx+0(FP), R0
	MOVD  grad+8(FP), R1
	MOVD  mask+16(FP), R2
	MOVD  x+24(FP), R3
	MOVD  n+32(FP), R6
	FMOVS k1+40(FP), F29
	VDUP  V29.S[0], V29.S4
	FMOVS k2+44(FP), F30
	VDUP  V30.S[0], V30.S4
	FMOVS k0+48(FP), F31
	VDUP  V31.S[0], V31.S4
	MOVD  flags+56(FP), R7
ng4:
	CBZ  R6, ngdone
	VLD1.P 16(R1), [V0.S4]
	TBZ  $0, R7, ngnomask
	VLD1.P 16(R2), [V1.S4]
	FCMGTZ4S(1, 1)
	VAND V1.B16, V0.B16, V0.B16
ngnomask:
	FMUL4S(0, 0, 29)
	TBZ  $1, R7, ngnox
	VLD1.P 16(R3), [V2.S4]
	FMUL4S(2, 2, 30)
	FSUB4S(0, 0, 2)
ngnox:
	FADD4S(0, 0, 31)
	TBZ  $2, R7, ngstore
	VLD1 (R0), [V3.S4]
	FADD4S(0, 0, 3)
ngstore:
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R6
	B    ng4
ngdone:
	RET
