//go:build amd64 && !noasm

#include "textflag.h"

// func transpose8AVX2(dst *float32, dstStride int, src *float32, srcStride int, n int)
// For each block of 8 columns p..p+7 of the 8 source rows src[i*srcStride:],
// writes column p+j as the 8 floats at dst[(p+j)*dstStride:]; n is a
// multiple of 8. The 8x8 transpose is the usual unpack, shuffle, permute.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), R9
	SHLQ $2, R9
	MOVQ n+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R9)(R9*4), R11
	LEAQ (R10)(R9*4), R12
	LEAQ (R8)(R8*2), R13
	LEAQ (R8)(R8*4), R14
	LEAQ (R13)(R8*4), BX
	TESTQ CX, CX
	JZ    tdone

tloop:
	// The source rows are long streams at a large stride; ask for the data
	// of the next iterations early, one prefetch per row and 64 bytes.
	PREFETCHT0 256(SI)
	PREFETCHT0 256(SI)(R9*1)
	PREFETCHT0 256(SI)(R9*2)
	PREFETCHT0 256(SI)(R10*1)
	PREFETCHT0 256(SI)(R9*4)
	PREFETCHT0 256(SI)(R11*1)
	PREFETCHT0 256(SI)(R10*2)
	PREFETCHT0 256(SI)(R12*1)
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R9*1), Y1
	VMOVUPS (SI)(R9*2), Y2
	VMOVUPS (SI)(R10*1), Y3
	VMOVUPS (SI)(R9*4), Y4
	VMOVUPS (SI)(R11*1), Y5
	VMOVUPS (SI)(R10*2), Y6
	VMOVUPS (SI)(R12*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R8*1)
	VMOVUPS Y10, (DI)(R8*2)
	VMOVUPS Y11, (DI)(R13*1)
	VMOVUPS Y12, (DI)(R8*4)
	VMOVUPS Y13, (DI)(R14*1)
	VMOVUPS Y14, (DI)(R13*2)
	VMOVUPS Y15, (DI)(BX*1)

	ADDQ $32, SI
	LEAQ (DI)(R8*8), DI
	SUBQ $8, CX
	JNZ  tloop

tdone:
	VZEROUPPER
	RET

// func packRows32AVX2(dst, src *float32, srcStride, kc, panels int)
// Packs kc rows of 32*panels floats (row p at src[p*srcStride:]) into
// panels of 32 columns: dst[q*kc*32 + p*32 + x] = src[p*srcStride + q*32 + x].
// Each source row is read sequentially while the same columns two rows
// further down are prefetched, which hides the DRAM latency of a matrix
// that is only streamed once.
TEXT ·packRows32AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ srcStride+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), R9
	MOVQ panels+32(FP), R10
	MOVQ R9, R11
	SHLQ $7, R11
	TESTQ R9, R9
	JZ    prdone
	TESTQ R10, R10
	JZ    prdone

prrow:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R10, CX

prpanel:
	PREFETCHT0 (AX)(R8*2)
	PREFETCHT0 64(AX)(R8*2)
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, 64(BX)
	VMOVUPS Y3, 96(BX)
	ADDQ $128, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  prpanel

	ADDQ R8, SI
	ADDQ $128, DI
	DECQ R9
	JNZ  prrow

prdone:
	VZEROUPPER
	RET

// func prefetchRows(src *float32, ld, rows, width int)
// Asks for rows x width floats at src (leading dimension ld) to be brought
// into L2, one PREFETCHT1 per 64-byte line.
TEXT ·prefetchRows(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ ld+8(FP), R8
	SHLQ $2, R8
	MOVQ rows+16(FP), R9
	MOVQ width+24(FP), R10
	SHLQ $2, R10
	TESTQ R9, R9
	JZ    pfdone
	TESTQ R10, R10
	JZ    pfdone

pfrow:
	XORQ AX, AX

pfline:
	PREFETCHT1 (SI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, R10
	JLT  pfline

	ADDQ R8, SI
	DECQ R9
	JNZ  pfrow

pfdone:
	RET

// func packRows8AVX2(dst, src *float32, srcStride, kc, panels int)
// packRows32AVX2 for panels of 8 columns: dst[q*kc*8 + p*8 + x] =
// src[p*srcStride + q*8 + x].
TEXT ·packRows8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ srcStride+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), R9
	MOVQ panels+32(FP), R10
	MOVQ R9, R11
	SHLQ $5, R11
	TESTQ R9, R9
	JZ    p8done
	TESTQ R10, R10
	JZ    p8done

p8row:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R10, CX
	PREFETCHT0 (SI)(R8*2)

p8panel:
	VMOVUPS (AX), Y0
	VMOVUPS Y0, (BX)
	ADDQ $32, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  p8panel

	ADDQ R8, SI
	ADDQ $32, DI
	DECQ R9
	JNZ  p8row

p8done:
	VZEROUPPER
	RET

// func packRows4AVX2(dst, src *float32, srcStride, kc, panels int)
// packRows32AVX2 for panels of 4 columns (the AVX2 kernel's A panels).
TEXT ·packRows4AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ srcStride+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), R9
	MOVQ panels+32(FP), R10
	MOVQ R9, R11
	SHLQ $4, R11
	TESTQ R9, R9
	JZ    p4done
	TESTQ R10, R10
	JZ    p4done

p4row:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R10, CX
	PREFETCHT0 (SI)(R8*2)

p4panel:
	VMOVUPS (AX), X0
	VMOVUPS X0, (BX)
	ADDQ $16, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  p4panel

	ADDQ R8, SI
	ADDQ $16, DI
	DECQ R9
	JNZ  p4row

p4done:
	RET

// func transpose4AVX2(dst *float32, src *float32, srcStride int, n int)
// dst[p*4+i] = src[i*srcStride+p] for the 4 rows i < 4 and the columns
// p < n of src, n a multiple of 8: per block of 8 columns, unpack and
// shuffle give columns 0|4, 1|5, 2|6, 3|7 in the halves of four registers,
// and two lane permutes put them in order for four contiguous stores.
TEXT ·transpose4AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ srcStride+16(FP), R9
	SHLQ $2, R9
	MOVQ n+24(FP), CX
	LEAQ (R9)(R9*2), R10
	TESTQ CX, CX
	JZ    t4done

t4loop:
	PREFETCHT0 256(SI)
	PREFETCHT0 256(SI)(R9*1)
	PREFETCHT0 256(SI)(R9*2)
	PREFETCHT0 256(SI)(R10*1)
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R9*1), Y1
	VMOVUPS (SI)(R9*2), Y2
	VMOVUPS (SI)(R10*1), Y3

	VUNPCKLPS Y1, Y0, Y4
	VUNPCKHPS Y1, Y0, Y5
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7

	VSHUFPS $0x44, Y6, Y4, Y0
	VSHUFPS $0xEE, Y6, Y4, Y1
	VSHUFPS $0x44, Y7, Y5, Y2
	VSHUFPS $0xEE, Y7, Y5, Y3

	VPERM2F128 $0x20, Y1, Y0, Y4
	VPERM2F128 $0x20, Y3, Y2, Y5
	VPERM2F128 $0x31, Y1, Y0, Y6
	VPERM2F128 $0x31, Y3, Y2, Y7

	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)

	ADDQ $32, SI
	ADDQ $128, DI
	SUBQ $8, CX
	JNZ  t4loop

t4done:
	VZEROUPPER
	RET
