//go:build arm64 && !noasm

#include "textflag.h"
#include "neon_arm64.h"

// The loops take n, a multiple of 4 (16 for the reductions); the Go
// wrappers in stubs_arm64.go finish the tail. Each does 16 elements per
// iteration while it can, then 4. Products are rounded before they are
// added (FMUL, then FADD), as in the Go twins.

// func axpyNEON(a float32, x, y *float32, n int)
TEXT ·axpyNEON(SB), NOSPLIT, $0-32
	FMOVS a+0(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  x+8(FP), R0
	MOVD  y+16(FP), R1
	MOVD  n+24(FP), R2
axpy16:
	CMP  $16, R2
	BLT  axpy4
	VLD1.P 64(R0), [V1.S4, V2.S4, V3.S4, V4.S4]
	VLD1   (R1), [V5.S4, V6.S4, V7.S4, V8.S4]
	FMUL4S(1, 1, 0)
	FMUL4S(2, 2, 0)
	FMUL4S(3, 3, 0)
	FMUL4S(4, 4, 0)
	FADD4S(5, 5, 1)
	FADD4S(6, 6, 2)
	FADD4S(7, 7, 3)
	FADD4S(8, 8, 4)
	VST1.P [V5.S4, V6.S4, V7.S4, V8.S4], 64(R1)
	SUB  $16, R2
	B    axpy16
axpy4:
	CBZ  R2, axpydone
	VLD1.P 16(R0), [V1.S4]
	VLD1   (R1), [V5.S4]
	FMUL4S(1, 1, 0)
	FADD4S(5, 5, 1)
	VST1.P [V5.S4], 16(R1)
	SUB  $4, R2
	B    axpy4
axpydone:
	RET

// func scalNEON(a float32, x *float32, n int)
TEXT ·scalNEON(SB), NOSPLIT, $0-24
	FMOVS a+0(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  x+8(FP), R0
	MOVD  n+16(FP), R2
scal16:
	CMP  $16, R2
	BLT  scal4
	VLD1 (R0), [V1.S4, V2.S4, V3.S4, V4.S4]
	FMUL4S(1, 1, 0)
	FMUL4S(2, 2, 0)
	FMUL4S(3, 3, 0)
	FMUL4S(4, 4, 0)
	VST1.P [V1.S4, V2.S4, V3.S4, V4.S4], 64(R0)
	SUB  $16, R2
	B    scal16
scal4:
	CBZ  R2, scaldone
	VLD1 (R0), [V1.S4]
	FMUL4S(1, 1, 0)
	VST1.P [V1.S4], 16(R0)
	SUB  $4, R2
	B    scal4
scaldone:
	RET

// func addNEON(dst, a, b *float32, n int)
TEXT ·addNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
add16:
	CMP  $16, R3
	BLT  add4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FADD4S(0, 0, 4)
	FADD4S(1, 1, 5)
	FADD4S(2, 2, 6)
	FADD4S(3, 3, 7)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R3
	B    add16
add4:
	CBZ  R3, adddone
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	FADD4S(0, 0, 4)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R3
	B    add4
adddone:
	RET

// func mulNEON(dst, a, b *float32, n int)
TEXT ·mulNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
mul16:
	CMP  $16, R3
	BLT  mul4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL4S(0, 0, 4)
	FMUL4S(1, 1, 5)
	FMUL4S(2, 2, 6)
	FMUL4S(3, 3, 7)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R3
	B    mul16
mul4:
	CBZ  R3, muldone
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V4.S4]
	FMUL4S(0, 0, 4)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R3
	B    mul4
muldone:
	RET

// RELU sets Vx to 0 where it is below zero and leaves it otherwise (NaN
// and -0 included, as the Go twin's 0 > x test), with Vt as scratch.
#define RELU(x, t) \
	FCMLTZ4S(t, x); \
	BIC16B(x, x, t)

// func reluNEON(dst, src *float32, n int)
TEXT ·reluNEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R3
relu16:
	CMP  $16, R3
	BLT  relu4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	RELU(0, 4)
	RELU(1, 5)
	RELU(2, 6)
	RELU(3, 7)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R3
	B    relu16
relu4:
	CBZ  R3, reludone
	VLD1.P 16(R1), [V0.S4]
	RELU(0, 4)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R3
	B    relu4
reludone:
	RET

// RELUBACK updates Vd to Vd + Vg where Vo > 0 and keeps it (its bits,
// -0 included) elsewhere, with Vt and Vs as scratch.
#define RELUBACK(d, g, o, t, s) \
	FCMGTZ4S(t, o); \
	FADD4S(s, d, g); \
	BIT16B(d, s, t)

// func reluBackwardNEON(dst, grad, out *float32, n int)
TEXT ·reluBackwardNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD grad+8(FP), R1
	MOVD out+16(FP), R2
	MOVD n+24(FP), R3
reluback16:
	CMP  $16, R3
	BLT  reluback4
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V8.S4, V9.S4, V10.S4, V11.S4]
	RELUBACK(0, 4, 8, 12, 16)
	RELUBACK(1, 5, 9, 13, 17)
	RELUBACK(2, 6, 10, 14, 18)
	RELUBACK(3, 7, 11, 15, 19)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R3
	B    reluback16
reluback4:
	CBZ  R3, relubackdone
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VLD1.P 16(R2), [V8.S4]
	RELUBACK(0, 4, 8, 12, 16)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R3
	B    reluback4
relubackdone:
	RET

// The reductions keep the 16 float64 lanes in V16-V23, two to a
// register: element i of each block of 16 goes to lane i, so V16 holds
// lanes 0-1, V17 2-3, ..., V23 14-15, as the Go twin's i mod 16.

#define LOADLANES(r) \
	VLD1.P 64(r), [V16.D2, V17.D2, V18.D2, V19.D2]; \
	VLD1   (r), [V20.D2, V21.D2, V22.D2, V23.D2]; \
	SUB    $64, r

#define STORELANES(r) \
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(r); \
	VST1   [V20.D2, V21.D2, V22.D2, V23.D2], (r)

// WIDEN4 widens the four floats of Vx into Vlo (elements 0-1) and Vhi
// (2-3).
#define WIDEN4(x, lo, hi) \
	FCVTL2S(lo, x); \
	FCVTL4S(hi, x)

// func sumNEON(lanes *[sumLanes]float64, x *float32, n int)
TEXT ·sumNEON(SB), NOSPLIT, $0-24
	MOVD lanes+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R3
	LOADLANES(R0)
sum16:
	CBZ  R3, sumdone
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	WIDEN4(0, 4, 5)
	WIDEN4(1, 6, 7)
	WIDEN4(2, 8, 9)
	WIDEN4(3, 10, 11)
	FADD2D(16, 16, 4)
	FADD2D(17, 17, 5)
	FADD2D(18, 18, 6)
	FADD2D(19, 19, 7)
	FADD2D(20, 20, 8)
	FADD2D(21, 21, 9)
	FADD2D(22, 22, 10)
	FADD2D(23, 23, 11)
	SUB  $16, R3
	B    sum16
sumdone:
	STORELANES(R0)
	RET

// func dotNEON(lanes *[sumLanes]float64, x, y *float32, n int)
// As sumNEON with the products x[i]*y[i], which are exact in float64, so
// the fused multiply-add rounds only the sum, as the Go twin does.
TEXT ·dotNEON(SB), NOSPLIT, $0-32
	MOVD lanes+0(FP), R0
	MOVD x+8(FP), R1
	MOVD y+16(FP), R2
	MOVD n+24(FP), R3
	LOADLANES(R0)
dot16:
	CBZ  R3, dotdone
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V24.S4, V25.S4, V26.S4, V27.S4]
	WIDEN4(0, 4, 5)
	WIDEN4(1, 6, 7)
	WIDEN4(2, 8, 9)
	WIDEN4(3, 10, 11)
	WIDEN4(24, 12, 13)
	WIDEN4(25, 14, 15)
	WIDEN4(26, 28, 29)
	WIDEN4(27, 30, 31)
	FMLA2D(16, 4, 12)
	FMLA2D(17, 5, 13)
	FMLA2D(18, 6, 14)
	FMLA2D(19, 7, 15)
	FMLA2D(20, 8, 28)
	FMLA2D(21, 9, 29)
	FMLA2D(22, 10, 30)
	FMLA2D(23, 11, 31)
	SUB  $16, R3
	B    dot16
dotdone:
	STORELANES(R0)
	RET

// func maxAbsNEON(x *float32, n int) float32
// V4-V7 hold running maxima of |x|; FMAX propagates NaN, so the result
// is NaN if any element is (the wrapper returns the canonical NaN). Max
// is exact, so the lane order does not matter.
TEXT ·maxAbsNEON(SB), NOSPLIT, $0-20
	MOVD x+0(FP), R0
	MOVD n+8(FP), R3
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
maxabs16:
	CMP  $16, R3
	BLT  maxabs4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FABS4S(0, 0)
	FABS4S(1, 1)
	FABS4S(2, 2)
	FABS4S(3, 3)
	FMAX4S(4, 4, 0)
	FMAX4S(5, 5, 1)
	FMAX4S(6, 6, 2)
	FMAX4S(7, 7, 3)
	SUB  $16, R3
	B    maxabs16
maxabs4:
	CBZ  R3, maxabsdone
	VLD1.P 16(R0), [V0.S4]
	FABS4S(0, 0)
	FMAX4S(4, 4, 0)
	SUB  $4, R3
	B    maxabs4
maxabsdone:
	FMAX4S(4, 4, 5)
	FMAX4S(6, 6, 7)
	FMAX4S(4, 4, 6)
	FMAXV4S(4, 4)
	FMOVS F4, ret+16(FP)
	RET
