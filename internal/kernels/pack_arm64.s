//go:build arm64 && !noasm

#include "textflag.h"

// TRANSPOSE4 transposes the 4x4 block of rows Va-Vd into columns Vc0-Vc3
// with Vt0-Vt3 as scratch: TRN1/TRN2 on pairs of floats, then on pairs of
// doubles. (Go's operand order: VTRN1 Vm, Vn, Vd is Vd = TRN1(Vn, Vm).)
#define TRANSPOSE4(a, b, c, d, t0, t1, t2, t3, c0, c1, c2, c3) \
	VTRN1 b.S4, a.S4, t0.S4; \
	VTRN2 b.S4, a.S4, t1.S4; \
	VTRN1 d.S4, c.S4, t2.S4; \
	VTRN2 d.S4, c.S4, t3.S4; \
	VTRN1 t2.D2, t0.D2, c0.D2; \
	VTRN1 t3.D2, t1.D2, c1.D2; \
	VTRN2 t2.D2, t0.D2, c2.D2; \
	VTRN2 t3.D2, t1.D2, c3.D2

// func transpose8NEON(dst *float32, dstStride int, src *float32, srcStride int, n int)
// dst[p*dstStride+i] = src[i*srcStride+p] for i < 8, p < n; n is a
// multiple of 4. Four columns per step: two 4x4 blocks (rows 0-3, 4-7)
// transposed, each column of 8 stored as a pair of vectors.
TEXT ·transpose8NEON(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD dstStride+8(FP), R1
	LSL  $2, R1
	MOVD src+16(FP), R5
	MOVD srcStride+24(FP), R3
	LSL  $2, R3
	MOVD n+32(FP), R4
	ADD  R3, R5, R6
	ADD  R3, R6, R7
	ADD  R3, R7, R8
	ADD  R3, R8, R9
	ADD  R3, R9, R10
	ADD  R3, R10, R11
	ADD  R3, R11, R12
tr8loop:
	CBZ  R4, tr8done
	VLD1.P 16(R5), [V0.S4]
	VLD1.P 16(R6), [V1.S4]
	VLD1.P 16(R7), [V2.S4]
	VLD1.P 16(R8), [V3.S4]
	VLD1.P 16(R9), [V4.S4]
	VLD1.P 16(R10), [V5.S4]
	VLD1.P 16(R11), [V6.S4]
	VLD1.P 16(R12), [V7.S4]
	TRANSPOSE4(V0, V1, V2, V3, V8, V9, V10, V11, V16, V18, V20, V22)
	TRANSPOSE4(V4, V5, V6, V7, V12, V13, V14, V15, V17, V19, V21, V23)
	VST1 [V16.S4, V17.S4], (R0)
	ADD  R1, R0
	VST1 [V18.S4, V19.S4], (R0)
	ADD  R1, R0
	VST1 [V20.S4, V21.S4], (R0)
	ADD  R1, R0
	VST1 [V22.S4, V23.S4], (R0)
	ADD  R1, R0
	SUB  $4, R4
	B    tr8loop
tr8done:
	RET

// func transpose4NEON(dst *float32, src *float32, srcStride int, n int)
// dst[p*4+i] = src[i*srcStride+p] for i < 4, p < n; n is a multiple of 4.
TEXT ·transpose4NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R5
	MOVD srcStride+16(FP), R3
	LSL  $2, R3
	MOVD n+24(FP), R4
	ADD  R3, R5, R6
	ADD  R3, R6, R7
	ADD  R3, R7, R8
tr4loop:
	CBZ  R4, tr4done
	VLD1.P 16(R5), [V0.S4]
	VLD1.P 16(R6), [V1.S4]
	VLD1.P 16(R7), [V2.S4]
	VLD1.P 16(R8), [V3.S4]
	TRANSPOSE4(V0, V1, V2, V3, V8, V9, V10, V11, V16, V17, V18, V19)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	SUB  $4, R4
	B    tr4loop
tr4done:
	RET

// func packRowsNEON(dst, src *float32, srcStride, kc, panels, w int)
// dst[q*kc*w + p*w + x] = src[p*srcStride + q*w + x] for p < kc,
// q < panels, x < w; w is a multiple of 4 and kc, panels >= 1. Row by
// row, so that the source is read sequentially.
TEXT ·packRowsNEON(SB), NOSPLIT, $0-48
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD srcStride+16(FP), R2
	LSL  $2, R2
	MOVD kc+24(FP), R3
	MOVD panels+32(FP), R4
	MOVD w+40(FP), R5
	LSL  $2, R5
	MUL  R3, R5, R6 // bytes between panels
prow:
	MOVD R1, R7
	MOVD R0, R8
	MOVD R4, R9
ppanel:
	MOVD R8, R10
	MOVD R5, R11
pcopy:
	VLD1.P 16(R7), [V0.S4]
	VST1.P [V0.S4], 16(R10)
	SUBS $16, R11
	BNE  pcopy
	ADD  R6, R8
	SUBS $1, R9
	BNE  ppanel
	ADD  R2, R1
	ADD  R5, R0
	SUBS $1, R3
	BNE  prow
	RET
