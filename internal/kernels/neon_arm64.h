// ASIMD (NEON) instructions that the Go arm64 assembler does not know,
// as WORD encodings (Arm Architecture Reference Manual for A-profile, the
// A64 "Advanced SIMD" encodings). Unlike Go's own vector syntax, the
// operands are in the Arm order, destination first, and are register
// numbers: FADD4S(2, 0, 1) is FADD V2.4S, V0.4S, V1.4S. The tests compare
// every routine that uses them with its Go twin, and `go tool objdump`
// disassembles them to the mnemonics named here.

// Three registers, same arrangement: Vd = Vn op Vm.
#define NEON3(op, d, n, m) WORD $((op) | ((m)<<16) | ((n)<<5) | (d))
#define FADD4S(d, n, m) NEON3(0x4E20D400, d, n, m)
#define FSUB4S(d, n, m) NEON3(0x4EA0D400, d, n, m)
#define FMUL4S(d, n, m) NEON3(0x6E20DC00, d, n, m)
#define FMAX4S(d, n, m) NEON3(0x4E20F400, d, n, m)
#define FADD2D(d, n, m) NEON3(0x4E60D400, d, n, m)
#define FMLA2D(d, n, m) NEON3(0x4E60CC00, d, n, m)
// Vd = Vn AND NOT Vm, bitwise.
#define BIC16B(d, n, m) NEON3(0x4E601C00, d, n, m)
// Vd = Vn where Vm has ones, Vd elsewhere, bitwise (Go's VBIT, by number).
#define BIT16B(d, n, m) NEON3(0x6EA01C00, d, n, m)

// Two registers: Vd = op(Vn).
#define NEON2(op, d, n) WORD $((op) | ((n)<<5) | (d))
#define FABS4S(d, n) NEON2(0x4EA0F800, d, n)
// All ones where Vn > 0.0, resp. Vn < 0.0 (false for NaN), else zeros.
#define FCMGTZ4S(d, n) NEON2(0x4EA0C800, d, n)
#define FCMLTZ4S(d, n) NEON2(0x4EA0E800, d, n)
// Vd.2D = the low (FCVTL) or high (FCVTL2) two floats of Vn, widened.
#define FCVTL2S(d, n) NEON2(0x0E617800, d, n)
#define FCVTL4S(d, n) NEON2(0x4E617800, d, n)
// Sd = the largest of the four floats of Vn (NaN if one is).
#define FMAXV4S(d, n) NEON2(0x6E30F800, d, n)

// By element: Vd.4S (op)= Vn.4S * Vm.S[i], i in 0..3.
#define NEONX(op, d, n, m, i) WORD $((op) | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define FMLAX4S(d, n, m, i) NEONX(0x4F801000, d, n, m, i)
#define FMULX4S(d, n, m, i) NEONX(0x4F809000, d, n, m, i)
