//go:build amd64 && !noasm

#include "textflag.h"

// poolEven<> and oddIdx<>: VPERMT2PS indices of the even and odd elements
// of two vectors; poolEven<> also serves as the window offsets 2*lane.
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA oddIdx<>+0(SB)/4, $1
DATA oddIdx<>+4(SB)/4, $3
DATA oddIdx<>+8(SB)/4, $5
DATA oddIdx<>+12(SB)/4, $7
DATA oddIdx<>+16(SB)/4, $9
DATA oddIdx<>+20(SB)/4, $11
DATA oddIdx<>+24(SB)/4, $13
DATA oddIdx<>+28(SB)/4, $15
DATA oddIdx<>+32(SB)/4, $17
DATA oddIdx<>+36(SB)/4, $19
DATA oddIdx<>+40(SB)/4, $21
DATA oddIdx<>+44(SB)/4, $23
DATA oddIdx<>+48(SB)/4, $25
DATA oddIdx<>+52(SB)/4, $27
DATA oddIdx<>+56(SB)/4, $29
DATA oddIdx<>+60(SB)/4, $31
GLOBL oddIdx<>(SB), RODATA|NOPTR, $64

// poolMasks<>: at 2c, a mask of the first c of 16 lanes, c = 0..16.
DATA poolMasks<>+0(SB)/2, $0x0000
DATA poolMasks<>+2(SB)/2, $0x0001
DATA poolMasks<>+4(SB)/2, $0x0003
DATA poolMasks<>+6(SB)/2, $0x0007
DATA poolMasks<>+8(SB)/2, $0x000f
DATA poolMasks<>+10(SB)/2, $0x001f
DATA poolMasks<>+12(SB)/2, $0x003f
DATA poolMasks<>+14(SB)/2, $0x007f
DATA poolMasks<>+16(SB)/2, $0x00ff
DATA poolMasks<>+18(SB)/2, $0x01ff
DATA poolMasks<>+20(SB)/2, $0x03ff
DATA poolMasks<>+22(SB)/2, $0x07ff
DATA poolMasks<>+24(SB)/2, $0x0fff
DATA poolMasks<>+26(SB)/2, $0x1fff
DATA poolMasks<>+28(SB)/2, $0x3fff
DATA poolMasks<>+30(SB)/2, $0x7fff
DATA poolMasks<>+32(SB)/2, $0xffff
GLOBL poolMasks<>(SB), RODATA|NOPTR, $34

// Takes v as the window's maximum in lanes where v > best or v is a NaN
// (PyTorch's rule): best in Z4, its index in Z7, v's index Z6 + off.
#define MAXSTEP(v, off) \
	VCMPPS $0x1e, Z4, v, K4; \
	VCMPPS $3, v, v, K5; \
	KORW K5, K4, K4; \
	VMOVAPS v, K4, Z4; \
	VPADDD off, Z6, K4, Z7

// func maxPool2x2AVX512(dst *float32, arg *int32, src *float32, oh, ow, w int)
// 16 windows per step: the two input rows of a window row are split into
// their even and odd columns (VPERMT2PS), and the four candidates of each
// window are compared in row-major order with masked blends.
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ arg+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ oh+24(FP), R9
	MOVQ w+40(FP), R11
	LEAQ poolMasks<>(SB), BX
	VMOVDQU32 poolEven<>(SB), Z30
	VMOVDQU32 oddIdx<>(SB), Z29
	MOVL $1, AX
	VPBROADCASTD AX, Z28
	MOVQ R11, AX
	VPBROADCASTD AX, Z27
	INCQ AX
	VPBROADCASTD AX, Z26
	XORQ R12, R12

mprow:
	CMPQ R12, R9
	JGE  mpdone
	MOVQ R12, CX
	IMULQ R11, CX
	SHLQ $1, CX
	LEAQ (SI)(CX*4), R13
	LEAQ (R13)(R11*4), DX
	MOVQ ow+32(FP), R10

mpvec:
	TESTQ R10, R10
	JZ    mpnext
	// c = min(remaining, 16) windows: K1 their lanes, K2 and K3 the 2c
	// source floats of each row.
	MOVQ R10, AX
	CMPQ AX, $16
	JLE  2(PC)
	MOVQ $16, AX
	SUBQ AX, R10
	KMOVW (BX)(AX*2), K1
	SHLQ $1, AX
	CMPQ AX, $16
	JLE  mpshort
	SUBQ $16, AX
	KMOVW 32(BX), K2
	KMOVW (BX)(AX*2), K3
	JMP  mpload
mpshort:
	KMOVW (BX)(AX*2), K2
	KXORW K3, K3, K3
mpload:
	VMOVUPS.Z (R13), K2, Z0
	VMOVUPS.Z 64(R13), K3, Z1
	VMOVUPS.Z (DX), K2, Z2
	VMOVUPS.Z 64(DX), K3, Z3
	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z30, Z4
	VPERMT2PS Z1, Z29, Z0
	VMOVAPS Z2, Z5
	VPERMT2PS Z3, Z30, Z5
	VPERMT2PS Z3, Z29, Z2
	VPBROADCASTD CX, Z6
	VPADDD Z30, Z6, Z6
	VMOVDQA32 Z6, Z7
	MAXSTEP(Z0, Z28)
	MAXSTEP(Z5, Z27)
	MAXSTEP(Z2, Z26)
	VMOVUPS Z4, K1, (DI)
	VMOVDQU32 Z7, K1, (R8)
	KMOVW K1, AX
	POPCNTL AX, AX
	LEAQ (DI)(AX*4), DI
	LEAQ (R8)(AX*4), R8
	LEAQ (R13)(AX*8), R13
	LEAQ (DX)(AX*8), DX
	LEAQ (CX)(AX*2), CX
	JMP  mpvec

mpnext:
	INCQ R12
	JMP  mprow

mpdone:
	VZEROUPPER
	RET
