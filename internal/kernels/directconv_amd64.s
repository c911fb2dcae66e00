//go:build amd64 && !noasm

#include "textflag.h"

// AVX-512 micro-kernels of the direct convolution (directconv.go). The
// B operand is not a matrix with a fixed row stride but rows of the
// lowered image at offsets from a table: row p of the tile's B starts at
// b + offs[p] floats.

// One step of the 8x32 tile: row p of B (offset oo(SI)) times the eight
// packed A elements at ao(AX), broadcast from memory.
#define DSTEP8x32(oo, ao) \
	MOVLQSX oo(SI), R10; \
	VMOVUPS (BX)(R10*4), Z16; \
	VMOVUPS 64(BX)(R10*4), Z17; \
	VFMADD231PS.BCST (ao+0)(AX), Z16, Z0; \
	VFMADD231PS.BCST (ao+0)(AX), Z17, Z1; \
	VFMADD231PS.BCST (ao+4)(AX), Z16, Z2; \
	VFMADD231PS.BCST (ao+4)(AX), Z17, Z3; \
	VFMADD231PS.BCST (ao+8)(AX), Z16, Z4; \
	VFMADD231PS.BCST (ao+8)(AX), Z17, Z5; \
	VFMADD231PS.BCST (ao+12)(AX), Z16, Z6; \
	VFMADD231PS.BCST (ao+12)(AX), Z17, Z7; \
	VFMADD231PS.BCST (ao+16)(AX), Z16, Z8; \
	VFMADD231PS.BCST (ao+16)(AX), Z17, Z9; \
	VFMADD231PS.BCST (ao+20)(AX), Z16, Z10; \
	VFMADD231PS.BCST (ao+20)(AX), Z17, Z11; \
	VFMADD231PS.BCST (ao+24)(AX), Z16, Z12; \
	VFMADD231PS.BCST (ao+24)(AX), Z17, Z13; \
	VFMADD231PS.BCST (ao+28)(AX), Z16, Z14; \
	VFMADD231PS.BCST (ao+28)(AX), Z17, Z15

#define DSTORE32(lo, hi) \
	VMOVUPS lo, (DI); \
	VMOVUPS hi, 64(DI); \
	ADDQ R9, DI

// func dconv8x32AVX512(k int, a, b *float32, offs *int32, c *float32, ldc int)
// C[0:8, 0:32] = Ap * B: Ap packed 8 x k (a[p*8+i]), row p of B at
// b + offs[p]; k >= 1. C is overwritten.
TEXT ·dconv8x32AVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ offs+24(FP), SI
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	MOVQ CX, DX
	SHRQ $2, DX
	ANDQ $3, CX
	TESTQ DX, DX
	JZ   d32tail

d32loop4:
	DSTEP8x32(0, 0)
	DSTEP8x32(4, 32)
	DSTEP8x32(8, 64)
	DSTEP8x32(12, 96)
	ADDQ $16, SI
	ADDQ $128, AX
	DECQ DX
	JNZ  d32loop4

d32tail:
	TESTQ CX, CX
	JZ    d32store

d32loop1:
	DSTEP8x32(0, 0)
	ADDQ $4, SI
	ADDQ $32, AX
	DECQ CX
	JNZ  d32loop1

d32store:
	DSTORE32(Z0, Z1)
	DSTORE32(Z2, Z3)
	DSTORE32(Z4, Z5)
	DSTORE32(Z6, Z7)
	DSTORE32(Z8, Z9)
	DSTORE32(Z10, Z11)
	DSTORE32(Z12, Z13)
	DSTORE32(Z14, Z15)
	VZEROUPPER
	RET

// One step of the 8x16 tile: one vector of row p of B.
#define DSTEP8x16(oo, ao) \
	MOVLQSX oo(SI), R10; \
	VMOVUPS (BX)(R10*4), Z16; \
	VFMADD231PS.BCST (ao+0)(AX), Z16, Z0; \
	VFMADD231PS.BCST (ao+4)(AX), Z16, Z1; \
	VFMADD231PS.BCST (ao+8)(AX), Z16, Z2; \
	VFMADD231PS.BCST (ao+12)(AX), Z16, Z3; \
	VFMADD231PS.BCST (ao+16)(AX), Z16, Z4; \
	VFMADD231PS.BCST (ao+20)(AX), Z16, Z5; \
	VFMADD231PS.BCST (ao+24)(AX), Z16, Z6; \
	VFMADD231PS.BCST (ao+28)(AX), Z16, Z7

#define DSTORE16(v) \
	VMOVUPS v, (DI); \
	ADDQ R9, DI

// func dconv8x16AVX512(k int, a, b *float32, offs *int32, c *float32, ldc int)
// The left half of dconv8x32AVX512's tile, for a last 16 columns.
TEXT ·dconv8x16AVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ offs+24(FP), SI
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

	MOVQ CX, DX
	SHRQ $2, DX
	ANDQ $3, CX
	TESTQ DX, DX
	JZ   d16tail

d16loop4:
	DSTEP8x16(0, 0)
	DSTEP8x16(4, 32)
	DSTEP8x16(8, 64)
	DSTEP8x16(12, 96)
	ADDQ $16, SI
	ADDQ $128, AX
	DECQ DX
	JNZ  d16loop4

d16tail:
	TESTQ CX, CX
	JZ    d16store

d16loop1:
	DSTEP8x16(0, 0)
	ADDQ $4, SI
	ADDQ $32, AX
	DECQ CX
	JNZ  d16loop1

d16store:
	DSTORE16(Z0)
	DSTORE16(Z1)
	DSTORE16(Z2)
	DSTORE16(Z3)
	DSTORE16(Z4)
	DSTORE16(Z5)
	DSTORE16(Z6)
	DSTORE16(Z7)
	VZEROUPPER
	RET

// Row r of the dot tile: one vector of dy row r (at mem) times the three x
// vectors Z0-Z2 into accumulators a0-a2.
#define DOTROW(mem, a0, a1, a2) \
	VMOVUPS mem, Z3; \
	VFMADD231PS Z0, Z3, a0; \
	VFMADD231PS Z1, Z3, a1; \
	VFMADD231PS Z2, Z3, a2

// The 24 dot-product accumulators Z8-Z31 to and from (R9).
#define ACCLOAD \
	VMOVUPS 0(R9), Z8; \
	VMOVUPS 64(R9), Z9; \
	VMOVUPS 128(R9), Z10; \
	VMOVUPS 192(R9), Z11; \
	VMOVUPS 256(R9), Z12; \
	VMOVUPS 320(R9), Z13; \
	VMOVUPS 384(R9), Z14; \
	VMOVUPS 448(R9), Z15; \
	VMOVUPS 512(R9), Z16; \
	VMOVUPS 576(R9), Z17; \
	VMOVUPS 640(R9), Z18; \
	VMOVUPS 704(R9), Z19; \
	VMOVUPS 768(R9), Z20; \
	VMOVUPS 832(R9), Z21; \
	VMOVUPS 896(R9), Z22; \
	VMOVUPS 960(R9), Z23; \
	VMOVUPS 1024(R9), Z24; \
	VMOVUPS 1088(R9), Z25; \
	VMOVUPS 1152(R9), Z26; \
	VMOVUPS 1216(R9), Z27; \
	VMOVUPS 1280(R9), Z28; \
	VMOVUPS 1344(R9), Z29; \
	VMOVUPS 1408(R9), Z30; \
	VMOVUPS 1472(R9), Z31

#define ACCSTORE \
	VMOVUPS Z8, 0(R9); \
	VMOVUPS Z9, 64(R9); \
	VMOVUPS Z10, 128(R9); \
	VMOVUPS Z11, 192(R9); \
	VMOVUPS Z12, 256(R9); \
	VMOVUPS Z13, 320(R9); \
	VMOVUPS Z14, 384(R9); \
	VMOVUPS Z15, 448(R9); \
	VMOVUPS Z16, 512(R9); \
	VMOVUPS Z17, 576(R9); \
	VMOVUPS Z18, 640(R9); \
	VMOVUPS Z19, 704(R9); \
	VMOVUPS Z20, 768(R9); \
	VMOVUPS Z21, 832(R9); \
	VMOVUPS Z22, 896(R9); \
	VMOVUPS Z23, 960(R9); \
	VMOVUPS Z24, 1024(R9); \
	VMOVUPS Z25, 1088(R9); \
	VMOVUPS Z26, 1152(R9); \
	VMOVUPS Z27, 1216(R9); \
	VMOVUPS Z28, 1280(R9); \
	VMOVUPS Z29, 1344(R9); \
	VMOVUPS Z30, 1408(R9); \
	VMOVUPS Z31, 1472(R9)

// func dconvDot8x3AVX512(n int, dy *float32, dyPitch int, x *float32, offs *int32, acc *float32)
// acc[(r*3+s)*16 + l] += sum over q < n, q = l mod 16, of dy[r*dyPitch+q] *
// x[offs[s]+q], for r < 8, s < 3; n is a multiple of 16. The 24 vector
// accumulators (acc[r][s] in Z(8+3r+s)) are loaded and stored whole, so
// that a long dot product can run in chunks that stay in L1.
TEXT ·dconvDot8x3AVX512(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ dy+8(FP), DX
	MOVQ dyPitch+16(FP), R8
	SHLQ $2, R8
	MOVQ x+24(FP), AX
	MOVQ offs+32(FP), SI
	MOVLQSX 0(SI), R10
	LEAQ (AX)(R10*4), R10
	MOVLQSX 4(SI), R11
	LEAQ (AX)(R11*4), R11
	MOVLQSX 8(SI), R12
	LEAQ (AX)(R12*4), R12
	LEAQ (R8)(R8*2), R13
	LEAQ (DX)(R8*4), BX
	MOVQ acc+40(FP), R9
	ACCLOAD

dotloop:
	TESTQ CX, CX
	JZ    dotdone
	VMOVUPS (R10), Z0
	VMOVUPS (R11), Z1
	VMOVUPS (R12), Z2
	DOTROW((DX), Z8, Z9, Z10)
	DOTROW((DX)(R8*1), Z11, Z12, Z13)
	DOTROW((DX)(R8*2), Z14, Z15, Z16)
	DOTROW((DX)(R13*1), Z17, Z18, Z19)
	DOTROW((BX), Z20, Z21, Z22)
	DOTROW((BX)(R8*1), Z23, Z24, Z25)
	DOTROW((BX)(R8*2), Z26, Z27, Z28)
	DOTROW((BX)(R13*1), Z29, Z30, Z31)
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, DX
	ADDQ $64, BX
	SUBQ $16, CX
	JMP  dotloop

dotdone:
	ACCSTORE
	VZEROUPPER
	RET

// Adds the 16 lanes of accumulator acc to the float at off(DI).
#define DOTSUM(acc, off) \
	VSHUFF32X4 $0x4e, acc, acc, Z4; \
	VADDPS acc, Z4, Z4; \
	VEXTRACTF128 $1, Y4, X5; \
	VADDPS X5, X4, X4; \
	VMOVHLPS X4, X4, X5; \
	VADDPS X5, X4, X4; \
	VMOVSHDUP X4, X5; \
	VADDSS X5, X4, X4; \
	VADDSS off(DI), X4, X4; \
	VMOVSS X4, off(DI)

// func dconvSum8x3AVX512(acc, out *float32, ldo int)
// out[r*ldo+s] += the sum of the 16 lanes of acc[r][s] (dconvDot8x3AVX512's
// layout), for r < 8, s < 3.
TEXT ·dconvSum8x3AVX512(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), R9
	MOVQ out+8(FP), DI
	MOVQ ldo+16(FP), R8
	SHLQ $2, R8
	ACCLOAD
	DOTSUM(Z8, 0)
	DOTSUM(Z9, 4)
	DOTSUM(Z10, 8)
	ADDQ R8, DI
	DOTSUM(Z11, 0)
	DOTSUM(Z12, 4)
	DOTSUM(Z13, 8)
	ADDQ R8, DI
	DOTSUM(Z14, 0)
	DOTSUM(Z15, 4)
	DOTSUM(Z16, 8)
	ADDQ R8, DI
	DOTSUM(Z17, 0)
	DOTSUM(Z18, 4)
	DOTSUM(Z19, 8)
	ADDQ R8, DI
	DOTSUM(Z20, 0)
	DOTSUM(Z21, 4)
	DOTSUM(Z22, 8)
	ADDQ R8, DI
	DOTSUM(Z23, 0)
	DOTSUM(Z24, 4)
	DOTSUM(Z25, 8)
	ADDQ R8, DI
	DOTSUM(Z26, 0)
	DOTSUM(Z27, 4)
	DOTSUM(Z28, 8)
	ADDQ R8, DI
	DOTSUM(Z29, 0)
	DOTSUM(Z30, 4)
	DOTSUM(Z31, 8)
	VZEROUPPER
	RET
