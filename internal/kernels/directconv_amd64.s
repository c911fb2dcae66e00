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

// func dconvDot8x3AVX512(n, segs, skip int, dy *float32, dyPitch int, x *float32, offs *int32, acc *float32)
// acc[(r*3+s)*16 + l] += sum over q, q = l mod 16, of dy[r*dyPitch+q] *
// x[offs[s]+q], for r < 8, s < 3, over segs segments of n (a multiple of
// 16) consecutive q, each segment starting skip floats after the end of
// the one before. The 24 vector accumulators (acc[r][s] in Z(8+3r+s)) are
// loaded and stored whole, so that a long dot product can run in pieces
// that stay in L1.
TEXT ·dconvDot8x3AVX512(SB), NOSPLIT, $0-64
	MOVQ dy+24(FP), DX
	MOVQ dyPitch+32(FP), R8
	SHLQ $2, R8
	MOVQ x+40(FP), AX
	MOVQ offs+48(FP), SI
	MOVLQSX 0(SI), R10
	LEAQ (AX)(R10*4), R10
	MOVLQSX 4(SI), R11
	LEAQ (AX)(R11*4), R11
	MOVLQSX 8(SI), R12
	LEAQ (AX)(R12*4), R12
	LEAQ (R8)(R8*2), R13
	LEAQ (DX)(R8*4), BX
	MOVQ skip+16(FP), SI
	SHLQ $2, SI
	MOVQ segs+8(FP), DI
	MOVQ acc+56(FP), R9
	ACCLOAD

dotseg:
	TESTQ DI, DI
	JZ    dotdone
	MOVQ n+0(FP), CX
dotloop:
	TESTQ CX, CX
	JZ    dotnext
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
dotnext:
	ADDQ SI, R10
	ADDQ SI, R11
	ADDQ SI, R12
	ADDQ SI, DX
	ADDQ SI, BX
	DECQ DI
	JMP  dotseg

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

// evenIdx<>: VPERMT2PS indices of the even elements of two vectors.
DATA evenIdx<>+0(SB)/4, $0
DATA evenIdx<>+4(SB)/4, $2
DATA evenIdx<>+8(SB)/4, $4
DATA evenIdx<>+12(SB)/4, $6
DATA evenIdx<>+16(SB)/4, $8
DATA evenIdx<>+20(SB)/4, $10
DATA evenIdx<>+24(SB)/4, $12
DATA evenIdx<>+28(SB)/4, $14
DATA evenIdx<>+32(SB)/4, $16
DATA evenIdx<>+36(SB)/4, $18
DATA evenIdx<>+40(SB)/4, $20
DATA evenIdx<>+44(SB)/4, $22
DATA evenIdx<>+48(SB)/4, $24
DATA evenIdx<>+52(SB)/4, $26
DATA evenIdx<>+56(SB)/4, $28
DATA evenIdx<>+60(SB)/4, $30
GLOBL evenIdx<>(SB), RODATA|NOPTR, $64

// oddIdxD<>: VPERMT2PS indices of the odd elements of two vectors.
DATA oddIdxD<>+0(SB)/4, $1
DATA oddIdxD<>+4(SB)/4, $3
DATA oddIdxD<>+8(SB)/4, $5
DATA oddIdxD<>+12(SB)/4, $7
DATA oddIdxD<>+16(SB)/4, $9
DATA oddIdxD<>+20(SB)/4, $11
DATA oddIdxD<>+24(SB)/4, $13
DATA oddIdxD<>+28(SB)/4, $15
DATA oddIdxD<>+32(SB)/4, $17
DATA oddIdxD<>+36(SB)/4, $19
DATA oddIdxD<>+40(SB)/4, $21
DATA oddIdxD<>+44(SB)/4, $23
DATA oddIdxD<>+48(SB)/4, $25
DATA oddIdxD<>+52(SB)/4, $27
DATA oddIdxD<>+56(SB)/4, $29
DATA oddIdxD<>+60(SB)/4, $31
GLOBL oddIdxD<>(SB), RODATA|NOPTR, $64

// laneMasks<>: three tables of 17 16-bit lane masks indexed by c = 0..16:
// at 0, the first c lanes; at 34 and 68, the low and high halves of a
// 32-lane mask of the first 2c-1 lanes (what c outputs of a stride-2
// gather read).
DATA laneMasks<>+0(SB)/2, $0x0000
DATA laneMasks<>+2(SB)/2, $0x0001
DATA laneMasks<>+4(SB)/2, $0x0003
DATA laneMasks<>+6(SB)/2, $0x0007
DATA laneMasks<>+8(SB)/2, $0x000f
DATA laneMasks<>+10(SB)/2, $0x001f
DATA laneMasks<>+12(SB)/2, $0x003f
DATA laneMasks<>+14(SB)/2, $0x007f
DATA laneMasks<>+16(SB)/2, $0x00ff
DATA laneMasks<>+18(SB)/2, $0x01ff
DATA laneMasks<>+20(SB)/2, $0x03ff
DATA laneMasks<>+22(SB)/2, $0x07ff
DATA laneMasks<>+24(SB)/2, $0x0fff
DATA laneMasks<>+26(SB)/2, $0x1fff
DATA laneMasks<>+28(SB)/2, $0x3fff
DATA laneMasks<>+30(SB)/2, $0x7fff
DATA laneMasks<>+32(SB)/2, $0xffff
DATA laneMasks<>+34(SB)/2, $0x0000
DATA laneMasks<>+36(SB)/2, $0x0001
DATA laneMasks<>+38(SB)/2, $0x0007
DATA laneMasks<>+40(SB)/2, $0x001f
DATA laneMasks<>+42(SB)/2, $0x007f
DATA laneMasks<>+44(SB)/2, $0x01ff
DATA laneMasks<>+46(SB)/2, $0x07ff
DATA laneMasks<>+48(SB)/2, $0x1fff
DATA laneMasks<>+50(SB)/2, $0x7fff
DATA laneMasks<>+52(SB)/2, $0xffff
DATA laneMasks<>+54(SB)/2, $0xffff
DATA laneMasks<>+56(SB)/2, $0xffff
DATA laneMasks<>+58(SB)/2, $0xffff
DATA laneMasks<>+60(SB)/2, $0xffff
DATA laneMasks<>+62(SB)/2, $0xffff
DATA laneMasks<>+64(SB)/2, $0xffff
DATA laneMasks<>+66(SB)/2, $0xffff
DATA laneMasks<>+68(SB)/2, $0x0000
DATA laneMasks<>+70(SB)/2, $0x0000
DATA laneMasks<>+72(SB)/2, $0x0000
DATA laneMasks<>+74(SB)/2, $0x0000
DATA laneMasks<>+76(SB)/2, $0x0000
DATA laneMasks<>+78(SB)/2, $0x0000
DATA laneMasks<>+80(SB)/2, $0x0000
DATA laneMasks<>+82(SB)/2, $0x0000
DATA laneMasks<>+84(SB)/2, $0x0000
DATA laneMasks<>+86(SB)/2, $0x0001
DATA laneMasks<>+88(SB)/2, $0x0007
DATA laneMasks<>+90(SB)/2, $0x001f
DATA laneMasks<>+92(SB)/2, $0x007f
DATA laneMasks<>+94(SB)/2, $0x01ff
DATA laneMasks<>+96(SB)/2, $0x07ff
DATA laneMasks<>+98(SB)/2, $0x1fff
DATA laneMasks<>+100(SB)/2, $0x7fff
GLOBL laneMasks<>(SB), RODATA|NOPTR, $104

// Zeroes the borders of the dst row at DI (R11 floats, the copy to come
// at R12 bytes, n floats): whole-row zeroing before the copy would store
// to the same lines twice, which costs as much as the copy.
#define BORDERS \
	XORQ AX, AX; \
	MOVQ R12, CX; \
	SHRQ $2, CX; \
	CMPQ AX, CX; \
	JGE  4(PC); \
	MOVL $0, (DI)(AX*4); \
	INCQ AX; \
	JMP  -4(PC); \
	ADDQ n+56(FP), AX; \
	CMPQ AX, R11; \
	JGE  4(PC); \
	MOVL $0, (DI)(AX*4); \
	INCQ AX; \
	JMP  -4(PC)

// func lowerRowsAVX512(dst *float32, dstPitch int, src *float32, srcPitch int, rows, pw, j0, n, stride int)
// For each of rows rows r: dst[r*dstPitch + j0 + k] = src[r*srcPitch +
// k*stride] for k < n, and dst[r*dstPitch + j] = 0 for the other j < pw;
// stride is 1 or 2, and only the source elements read by the copy are
// loaded (masked), so a row may end at the end of its buffer.
TEXT ·lowerRowsAVX512(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ dstPitch+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ srcPitch+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), R10
	MOVQ pw+40(FP), R11
	MOVQ j0+48(FP), R12
	SHLQ $2, R12
	LEAQ laneMasks<>(SB), BX
	VPXORD Z31, Z31, Z31
	VMOVDQU32 evenIdx<>(SB), Z30
	CMPQ stride+64(FP), $2
	JEQ  lr2row

lr1row:
	TESTQ R10, R10
	JZ    lrdone
	BORDERS
	LEAQ (DI)(R12*1), AX
	MOVQ SI, DX
	MOVQ n+56(FP), CX
lr1vec:
	CMPQ CX, $16
	JLT  lr1tail
	VMOVUPS (DX), Z0
	VMOVUPS Z0, (AX)
	ADDQ $64, AX
	ADDQ $64, DX
	SUBQ $16, CX
	JMP  lr1vec
lr1tail:
	KMOVW (BX)(CX*2), K1
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS Z0, K1, (AX)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JMP  lr1row

lr2row:
	TESTQ R10, R10
	JZ    lrdone
	BORDERS
	LEAQ (DI)(R12*1), AX
	MOVQ SI, DX
	MOVQ n+56(FP), CX
lr2vec:
	// A full step reads 32 floats, one past its last pair: only while
	// more than 16 outputs remain.
	CMPQ CX, $16
	JLE  lr2tail
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VPERMT2PS Z1, Z30, Z0
	VMOVUPS Z0, (AX)
	ADDQ $64, AX
	ADDQ $128, DX
	SUBQ $16, CX
	JMP  lr2vec
lr2tail:
	TESTQ CX, CX
	JZ    lr2next
	// c = min(CX, 16) outputs, from 2c-1 source floats.
	MOVQ CX, R13
	CMPQ R13, $16
	JLE  2(PC)
	MOVQ $16, R13
	SUBQ R13, CX
	KMOVW (BX)(R13*2), K1
	KMOVW 34(BX)(R13*2), K2
	KMOVW 68(BX)(R13*2), K3
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z 64(DX), K3, Z1
	VPERMT2PS Z1, Z30, Z0
	VMOVUPS Z0, K1, (AX)
	ADDQ $64, AX
	ADDQ $128, DX
	JMP  lr2vec
lr2next:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JMP  lr2row

lrdone:
	VZEROUPPER
	RET

// func lowerPairAVX512(dstE, dstO *float32, dstPitch int, src *float32, srcPitch int, before, rows, after, pw, jE, jO, n int)
// The two column phases of a stride-2 lowering from one pass over the
// source, for planes of before+rows+after rows of pw floats (dstE's and
// dstO's, dstPitch apart row to row): before zero rows, then rows rows r
// with dstE[jE + k] = src[r*srcPitch + 2k] and dstO[jO + k] = src[r*srcPitch
// + 2k+1] for k < n (16 pairs per step, split by VPERMT2PS) and zeros
// elsewhere, then after zero rows. Only the 2n source floats of a row are
// loaded (masked).
TEXT ·lowerPairAVX512(SB), NOSPLIT, $0-96

// Zeroes a row of pw floats at DI and at DI+R13: full vectors, then a
// masked tail (lane masks at BX).
#define ZERO2ROW \
	MOVQ DI, AX; \
	MOVQ pw+64(FP), CX; \
	CMPQ CX, $16; \
	JLT  6(PC); \
	VMOVUPS Z31, (AX); \
	VMOVUPS Z31, (AX)(R13*1); \
	ADDQ $64, AX; \
	SUBQ $16, CX; \
	JMP  -6(PC); \
	KMOVW (BX)(CX*2), K1; \
	VMOVUPS Z31, K1, (AX); \
	VMOVUPS Z31, K1, (AX)(R13*1)

	MOVQ dstE+0(FP), DI
	MOVQ dstO+8(FP), R13
	SUBQ DI, R13
	MOVQ dstPitch+16(FP), R8
	SHLQ $2, R8
	MOVQ src+24(FP), SI
	MOVQ srcPitch+32(FP), R9
	SHLQ $2, R9
	MOVQ jE+72(FP), R12
	SHLQ $2, R12
	MOVQ jO+80(FP), R10
	SHLQ $2, R10
	SUBQ R12, R10
	ADDQ R13, R10
	LEAQ laneMasks<>(SB), BX
	VPXORD Z31, Z31, Z31
	VMOVDQU32 evenIdx<>(SB), Z30
	VMOVDQU32 oddIdxD<>(SB), Z29

lpbefore:
	CMPQ before+40(FP), $0
	JEQ  lprow
	ZERO2ROW
	ADDQ R8, DI
	DECQ before+40(FP)
	JMP  lpbefore

lprow:
	CMPQ rows+48(FP), $0
	JEQ  lpafter
	// Zero only the borders: a whole-row zeroing before the copy costs
	// as much as the copy (stores to the same lines twice).
	XORQ AX, AX
lpleftE:
	CMPQ AX, jE+72(FP)
	JGE  lpleftO
	MOVL $0, (DI)(AX*4)
	INCQ AX
	JMP  lpleftE
lpleftO:
	XORQ AX, AX
	LEAQ (DI)(R13*1), DX
lpleftO1:
	CMPQ AX, jO+80(FP)
	JGE  lpright
	MOVL $0, (DX)(AX*4)
	INCQ AX
	JMP  lpleftO1
lpright:
	MOVQ jE+72(FP), AX
	ADDQ n+88(FP), AX
lprightE:
	CMPQ AX, pw+64(FP)
	JGE  lprightO
	MOVL $0, (DI)(AX*4)
	INCQ AX
	JMP  lprightE
lprightO:
	MOVQ jO+80(FP), AX
	ADDQ n+88(FP), AX
lprightO1:
	CMPQ AX, pw+64(FP)
	JGE  lpcopy
	MOVL $0, (DX)(AX*4)
	INCQ AX
	JMP  lprightO1
lpcopy:
	LEAQ (DI)(R12*1), AX
	MOVQ SI, DX
	MOVQ n+88(FP), CX
lpvec:
	CMPQ CX, $16
	JLT  lptail
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z29, Z0
	VMOVUPS Z2, (AX)
	VMOVUPS Z0, (AX)(R10*1)
	ADDQ $64, AX
	ADDQ $128, DX
	SUBQ $16, CX
	JMP  lpvec
lptail:
	TESTQ CX, CX
	JZ    lpnext
	// c = min(CX, 16) pairs: K1 c lanes; K2 and K3 the 2c source floats.
	MOVQ CX, R11
	CMPQ R11, $16
	JLE  2(PC)
	MOVQ $16, R11
	SUBQ R11, CX
	KMOVW (BX)(R11*2), K1
	SHLQ $1, R11
	CMPQ R11, $16
	JLE  lpshort
	SUBQ $16, R11
	KMOVW 32(BX), K2
	KMOVW (BX)(R11*2), K3
	JMP  lpload
lpshort:
	KMOVW (BX)(R11*2), K2
	KXORW K3, K3, K3
lpload:
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z 64(DX), K3, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z29, Z0
	VMOVUPS Z2, K1, (AX)
	VMOVUPS Z0, K1, (AX)(R10*1)
	ADDQ $64, AX
	ADDQ $128, DX
	JMP  lpvec
lpnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ rows+48(FP)
	JMP  lprow

lpafter:
	CMPQ after+56(FP), $0
	JEQ  lpdone
	ZERO2ROW
	ADDQ R8, DI
	DECQ after+56(FP)
	JMP  lpafter

lpdone:
	VZEROUPPER
	RET
