//go:build amd64 && !noasm

#include "textflag.h"

// AVX-512 transforms of the Winograd convolution (winograd.go), 16 tiles
// per vector and up to wintile = 64 tiles per call: the rows of V and M for
// successive ξ are 64 floats (256 bytes) apart.

// winoLo<> and winoHi<>: VPERMT2PS indices interleaving two vectors a, b
// into a0 b0 a1 b1 ... (the low and the high 16 results).
DATA winoLo<>+0(SB)/4, $0
DATA winoLo<>+4(SB)/4, $16
DATA winoLo<>+8(SB)/4, $1
DATA winoLo<>+12(SB)/4, $17
DATA winoLo<>+16(SB)/4, $2
DATA winoLo<>+20(SB)/4, $18
DATA winoLo<>+24(SB)/4, $3
DATA winoLo<>+28(SB)/4, $19
DATA winoLo<>+32(SB)/4, $4
DATA winoLo<>+36(SB)/4, $20
DATA winoLo<>+40(SB)/4, $5
DATA winoLo<>+44(SB)/4, $21
DATA winoLo<>+48(SB)/4, $6
DATA winoLo<>+52(SB)/4, $22
DATA winoLo<>+56(SB)/4, $7
DATA winoLo<>+60(SB)/4, $23
GLOBL winoLo<>(SB), RODATA|NOPTR, $64
DATA winoHi<>+0(SB)/4, $8
DATA winoHi<>+4(SB)/4, $24
DATA winoHi<>+8(SB)/4, $9
DATA winoHi<>+12(SB)/4, $25
DATA winoHi<>+16(SB)/4, $10
DATA winoHi<>+20(SB)/4, $26
DATA winoHi<>+24(SB)/4, $11
DATA winoHi<>+28(SB)/4, $27
DATA winoHi<>+32(SB)/4, $12
DATA winoHi<>+36(SB)/4, $28
DATA winoHi<>+40(SB)/4, $13
DATA winoHi<>+44(SB)/4, $29
DATA winoHi<>+48(SB)/4, $14
DATA winoHi<>+52(SB)/4, $30
DATA winoHi<>+56(SB)/4, $15
DATA winoHi<>+60(SB)/4, $31
GLOBL winoHi<>(SB), RODATA|NOPTR, $64

// func winoInputAVX512(v, p *float32, phase, pw, steps int)
// V = B^T d B for 16*steps tiles of one channel (winoInputGo): d[r][c] of the
// 16 tiles of a step are the vectors at SI (rows r = 0, 1) and DX = SI +
// pw (r = 2, 3) in phase planes 0, R8, 2*R8 and R9 = 3*R8 bytes apart, at
// +4 bytes for c >= 2.
TEXT ·winoInputAVX512(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ phase+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ pw+24(FP), DX
	LEAQ (SI)(DX*4), DX
	MOVQ steps+32(FP), CX
wiloop:
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(R8*1), Z1
	VMOVUPS 4(SI), Z2
	VMOVUPS 4(SI)(R8*1), Z3
	VMOVUPS (SI)(R8*2), Z4
	VMOVUPS (SI)(R9*1), Z5
	VMOVUPS 4(SI)(R8*2), Z6
	VMOVUPS 4(SI)(R9*1), Z7
	VMOVUPS (DX), Z8
	VMOVUPS (DX)(R8*1), Z9
	VMOVUPS 4(DX), Z10
	VMOVUPS 4(DX)(R8*1), Z11
	VMOVUPS (DX)(R8*2), Z12
	VMOVUPS (DX)(R9*1), Z13
	VMOVUPS 4(DX)(R8*2), Z14
	VMOVUPS 4(DX)(R9*1), Z15
	VSUBPS Z8, Z0, Z16
	VADDPS Z8, Z4, Z20
	VSUBPS Z4, Z8, Z24
	VSUBPS Z12, Z4, Z28
	VSUBPS Z9, Z1, Z17
	VADDPS Z9, Z5, Z21
	VSUBPS Z5, Z9, Z25
	VSUBPS Z13, Z5, Z29
	VSUBPS Z10, Z2, Z18
	VADDPS Z10, Z6, Z22
	VSUBPS Z6, Z10, Z26
	VSUBPS Z14, Z6, Z30
	VSUBPS Z11, Z3, Z19
	VADDPS Z11, Z7, Z23
	VSUBPS Z7, Z11, Z27
	VSUBPS Z15, Z7, Z31
	VSUBPS Z18, Z16, Z0
	VADDPS Z18, Z17, Z1
	VSUBPS Z17, Z18, Z2
	VSUBPS Z19, Z17, Z3
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 256(DI)
	VMOVUPS Z2, 512(DI)
	VMOVUPS Z3, 768(DI)
	VSUBPS Z22, Z20, Z0
	VADDPS Z22, Z21, Z1
	VSUBPS Z21, Z22, Z2
	VSUBPS Z23, Z21, Z3
	VMOVUPS Z0, 1024(DI)
	VMOVUPS Z1, 1280(DI)
	VMOVUPS Z2, 1536(DI)
	VMOVUPS Z3, 1792(DI)
	VSUBPS Z26, Z24, Z0
	VADDPS Z26, Z25, Z1
	VSUBPS Z25, Z26, Z2
	VSUBPS Z27, Z25, Z3
	VMOVUPS Z0, 2048(DI)
	VMOVUPS Z1, 2304(DI)
	VMOVUPS Z2, 2560(DI)
	VMOVUPS Z3, 2816(DI)
	VSUBPS Z30, Z28, Z0
	VADDPS Z30, Z29, Z1
	VSUBPS Z29, Z30, Z2
	VSUBPS Z31, Z29, Z3
	VMOVUPS Z0, 3072(DI)
	VMOVUPS Z1, 3328(DI)
	VMOVUPS Z2, 3584(DI)
	VMOVUPS Z3, 3840(DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ CX
	JNZ  wiloop
	VZEROUPPER
	RET

// func winoOutputAVX512(r0, r1, m *float32, steps int)
// Y = A^T M A for 16*steps tiles of one channel (winoOutputGo), the two columns
// of each output row interleaved into the row streams at DI and R10.
TEXT ·winoOutputAVX512(SB), NOSPLIT, $0-32
	MOVQ r0+0(FP), DI
	MOVQ r1+8(FP), R10
	MOVQ m+16(FP), SI
	VMOVDQU32 winoLo<>(SB), Z30
	VMOVDQU32 winoHi<>(SB), Z31
	MOVQ steps+24(FP), CX
woloop:
	VMOVUPS 0(SI), Z0
	VMOVUPS 256(SI), Z1
	VMOVUPS 512(SI), Z2
	VMOVUPS 768(SI), Z3
	VMOVUPS 1024(SI), Z4
	VMOVUPS 1280(SI), Z5
	VMOVUPS 1536(SI), Z6
	VMOVUPS 1792(SI), Z7
	VMOVUPS 2048(SI), Z8
	VMOVUPS 2304(SI), Z9
	VMOVUPS 2560(SI), Z10
	VMOVUPS 2816(SI), Z11
	VMOVUPS 3072(SI), Z12
	VMOVUPS 3328(SI), Z13
	VMOVUPS 3584(SI), Z14
	VMOVUPS 3840(SI), Z15
	VADDPS Z4, Z0, Z16
	VADDPS Z8, Z16, Z16
	VSUBPS Z8, Z4, Z20
	VSUBPS Z12, Z20, Z20
	VADDPS Z5, Z1, Z17
	VADDPS Z9, Z17, Z17
	VSUBPS Z9, Z5, Z21
	VSUBPS Z13, Z21, Z21
	VADDPS Z6, Z2, Z18
	VADDPS Z10, Z18, Z18
	VSUBPS Z10, Z6, Z22
	VSUBPS Z14, Z22, Z22
	VADDPS Z7, Z3, Z19
	VADDPS Z11, Z19, Z19
	VSUBPS Z11, Z7, Z23
	VSUBPS Z15, Z23, Z23
	VADDPS Z17, Z16, Z24
	VADDPS Z18, Z24, Z24
	VSUBPS Z18, Z17, Z25
	VSUBPS Z19, Z25, Z25
	VADDPS Z21, Z20, Z26
	VADDPS Z22, Z26, Z26
	VSUBPS Z22, Z21, Z27
	VSUBPS Z23, Z27, Z27
	VMOVAPS Z24, Z0
	VPERMT2PS Z25, Z30, Z0
	VPERMT2PS Z25, Z31, Z24
	VMOVUPS Z0, (DI)
	VMOVUPS Z24, 64(DI)
	VMOVAPS Z26, Z0
	VPERMT2PS Z27, Z30, Z0
	VPERMT2PS Z27, Z31, Z26
	VMOVUPS Z0, (R10)
	VMOVUPS Z26, 64(R10)
	ADDQ $64, SI
	ADDQ $128, DI
	ADDQ $128, R10
	DECQ CX
	JNZ  woloop
	VZEROUPPER
	RET
