//go:build amd64 && !noasm

#include "textflag.h"

// One step of k for the 8x32 AVX-512 tile: two vectors of the B row at BX
// times the eight A elements at off(AX), broadcast from memory.
#define STEP8x32(off) \
	VMOVUPS (BX), Z16; \
	VMOVUPS 64(BX), Z17; \
	ADDQ R8, BX; \
	VFMADD231PS.BCST (off+0)(AX), Z16, Z0; \
	VFMADD231PS.BCST (off+0)(AX), Z17, Z1; \
	VFMADD231PS.BCST (off+4)(AX), Z16, Z2; \
	VFMADD231PS.BCST (off+4)(AX), Z17, Z3; \
	VFMADD231PS.BCST (off+8)(AX), Z16, Z4; \
	VFMADD231PS.BCST (off+8)(AX), Z17, Z5; \
	VFMADD231PS.BCST (off+12)(AX), Z16, Z6; \
	VFMADD231PS.BCST (off+12)(AX), Z17, Z7; \
	VFMADD231PS.BCST (off+16)(AX), Z16, Z8; \
	VFMADD231PS.BCST (off+16)(AX), Z17, Z9; \
	VFMADD231PS.BCST (off+20)(AX), Z16, Z10; \
	VFMADD231PS.BCST (off+20)(AX), Z17, Z11; \
	VFMADD231PS.BCST (off+24)(AX), Z16, Z12; \
	VFMADD231PS.BCST (off+24)(AX), Z17, Z13; \
	VFMADD231PS.BCST (off+28)(AX), Z16, Z14; \
	VFMADD231PS.BCST (off+28)(AX), Z17, Z15

// Row r of the tile, overwrite: C = alpha*acc (alpha in Z18).
#define STORE0x32(lo, hi) \
	VMULPS Z18, lo, lo; \
	VMULPS Z18, hi, hi; \
	VMOVUPS lo, (DI); \
	VMOVUPS hi, 64(DI); \
	ADDQ R9, DI

// Row r of the tile, update: C = beta*C + alpha*acc (beta in Z19).
#define STOREBx32(lo, hi) \
	VMULPS (DI), Z19, Z20; \
	VMULPS 64(DI), Z19, Z21; \
	VFMADD231PS Z18, lo, Z20; \
	VFMADD231PS Z18, hi, Z21; \
	VMOVUPS Z20, (DI); \
	VMOVUPS Z21, 64(DI); \
	ADDQ R9, DI

// func sgemm8x32AVX512(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm8x32AVX512(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ bstride+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	// Touch the tile of C now so its lines arrive during the k loop.
	MOVQ DI, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	ADDQ R9, SI
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)

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
	JZ   k8x32tail

k8x32loop4:
	STEP8x32(0)
	STEP8x32(32)
	STEP8x32(64)
	STEP8x32(96)
	ADDQ $128, AX
	DECQ DX
	JNZ  k8x32loop4

k8x32tail:
	TESTQ CX, CX
	JZ    k8x32store

k8x32loop1:
	STEP8x32(0)
	ADDQ $32, AX
	DECQ CX
	JNZ  k8x32loop1

k8x32store:
	VBROADCASTSS alpha+48(FP), Z18
	MOVL beta+52(FP), DX
	ANDL $0x7fffffff, DX
	JNZ  k8x32beta
	STORE0x32(Z0, Z1)
	STORE0x32(Z2, Z3)
	STORE0x32(Z4, Z5)
	STORE0x32(Z6, Z7)
	STORE0x32(Z8, Z9)
	STORE0x32(Z10, Z11)
	STORE0x32(Z12, Z13)
	STORE0x32(Z14, Z15)
	VZEROUPPER
	RET

k8x32beta:
	VBROADCASTSS beta+52(FP), Z19
	STOREBx32(Z0, Z1)
	STOREBx32(Z2, Z3)
	STOREBx32(Z4, Z5)
	STOREBx32(Z6, Z7)
	STOREBx32(Z8, Z9)
	STOREBx32(Z10, Z11)
	STOREBx32(Z12, Z13)
	STOREBx32(Z14, Z15)
	VZEROUPPER
	RET

// One step of k for the 8x16 AVX-512 half tile: one vector of B.
#define STEP8x16(off) \
	VMOVUPS (BX), Z16; \
	ADDQ R8, BX; \
	VFMADD231PS.BCST (off+0)(AX), Z16, Z0; \
	VFMADD231PS.BCST (off+4)(AX), Z16, Z1; \
	VFMADD231PS.BCST (off+8)(AX), Z16, Z2; \
	VFMADD231PS.BCST (off+12)(AX), Z16, Z3; \
	VFMADD231PS.BCST (off+16)(AX), Z16, Z4; \
	VFMADD231PS.BCST (off+20)(AX), Z16, Z5; \
	VFMADD231PS.BCST (off+24)(AX), Z16, Z6; \
	VFMADD231PS.BCST (off+28)(AX), Z16, Z7

#define STORE0x16(v) \
	VMULPS Z18, v, v; \
	VMOVUPS v, (DI); \
	ADDQ R9, DI

#define STOREBx16(v) \
	VMULPS (DI), Z19, Z20; \
	VFMADD231PS Z18, v, Z20; \
	VMOVUPS Z20, (DI); \
	ADDQ R9, DI

// func sgemm8x16AVX512(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)
// The left half of the 8x32 tile, for the last 16 or fewer columns of C.
TEXT ·sgemm8x16AVX512(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ bstride+24(FP), R8
	SHLQ $2, R8
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
	JZ   k8x16tail

k8x16loop4:
	STEP8x16(0)
	STEP8x16(32)
	STEP8x16(64)
	STEP8x16(96)
	ADDQ $128, AX
	DECQ DX
	JNZ  k8x16loop4

k8x16tail:
	TESTQ CX, CX
	JZ    k8x16store

k8x16loop1:
	STEP8x16(0)
	ADDQ $32, AX
	DECQ CX
	JNZ  k8x16loop1

k8x16store:
	VBROADCASTSS alpha+48(FP), Z18
	MOVL beta+52(FP), DX
	ANDL $0x7fffffff, DX
	JNZ  k8x16beta
	STORE0x16(Z0)
	STORE0x16(Z1)
	STORE0x16(Z2)
	STORE0x16(Z3)
	STORE0x16(Z4)
	STORE0x16(Z5)
	STORE0x16(Z6)
	STORE0x16(Z7)
	VZEROUPPER
	RET

k8x16beta:
	VBROADCASTSS beta+52(FP), Z19
	STOREBx16(Z0)
	STOREBx16(Z1)
	STOREBx16(Z2)
	STOREBx16(Z3)
	STOREBx16(Z4)
	STOREBx16(Z5)
	STOREBx16(Z6)
	STOREBx16(Z7)
	VZEROUPPER
	RET

// One step of k for the 4x24 AVX2 tile: three vectors of the B row at BX
// times the four A elements at off(AX), each broadcast into Y15.
#define STEP4x24(off) \
	VMOVUPS (BX), Y12; \
	VMOVUPS 32(BX), Y13; \
	VMOVUPS 64(BX), Y14; \
	ADDQ R8, BX; \
	VBROADCASTSS (off+0)(AX), Y15; \
	VFMADD231PS Y15, Y12, Y0; \
	VFMADD231PS Y15, Y13, Y1; \
	VFMADD231PS Y15, Y14, Y2; \
	VBROADCASTSS (off+4)(AX), Y15; \
	VFMADD231PS Y15, Y12, Y3; \
	VFMADD231PS Y15, Y13, Y4; \
	VFMADD231PS Y15, Y14, Y5; \
	VBROADCASTSS (off+8)(AX), Y15; \
	VFMADD231PS Y15, Y12, Y6; \
	VFMADD231PS Y15, Y13, Y7; \
	VFMADD231PS Y15, Y14, Y8; \
	VBROADCASTSS (off+12)(AX), Y15; \
	VFMADD231PS Y15, Y12, Y9; \
	VFMADD231PS Y15, Y13, Y10; \
	VFMADD231PS Y15, Y14, Y11

// Row of the tile, overwrite: C = alpha*acc (alpha in Y12).
#define STORE0x24(v0, v1, v2) \
	VMULPS Y12, v0, v0; \
	VMULPS Y12, v1, v1; \
	VMULPS Y12, v2, v2; \
	VMOVUPS v0, (DI); \
	VMOVUPS v1, 32(DI); \
	VMOVUPS v2, 64(DI); \
	ADDQ R9, DI

// Row of the tile, update: C = beta*C + alpha*acc (beta in Y13).
#define STOREBx24(v0, v1, v2) \
	VMULPS (DI), Y13, Y14; \
	VFMADD231PS Y12, v0, Y14; \
	VMOVUPS Y14, (DI); \
	VMULPS 32(DI), Y13, Y14; \
	VFMADD231PS Y12, v1, Y14; \
	VMOVUPS Y14, 32(DI); \
	VMULPS 64(DI), Y13, Y14; \
	VFMADD231PS Y12, v2, Y14; \
	VMOVUPS Y14, 64(DI); \
	ADDQ R9, DI

// func sgemm4x24AVX2(k int, a, b *float32, bstride int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm4x24AVX2(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ bstride+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, DX
	SHRQ $2, DX
	ANDQ $3, CX
	TESTQ DX, DX
	JZ   k4x24tail

k4x24loop4:
	STEP4x24(0)
	STEP4x24(16)
	STEP4x24(32)
	STEP4x24(48)
	ADDQ $64, AX
	DECQ DX
	JNZ  k4x24loop4

k4x24tail:
	TESTQ CX, CX
	JZ    k4x24store

k4x24loop1:
	STEP4x24(0)
	ADDQ $16, AX
	DECQ CX
	JNZ  k4x24loop1

k4x24store:
	VBROADCASTSS alpha+48(FP), Y12
	MOVL beta+52(FP), DX
	ANDL $0x7fffffff, DX
	JNZ  k4x24beta
	STORE0x24(Y0, Y1, Y2)
	STORE0x24(Y3, Y4, Y5)
	STORE0x24(Y6, Y7, Y8)
	STORE0x24(Y9, Y10, Y11)
	VZEROUPPER
	RET

k4x24beta:
	VBROADCASTSS beta+52(FP), Y13
	STOREBx24(Y0, Y1, Y2)
	STOREBx24(Y3, Y4, Y5)
	STOREBx24(Y6, Y7, Y8)
	STOREBx24(Y9, Y10, Y11)
	VZEROUPPER
	RET
