#!/usr/bin/env python3
"""Generates src/bls/fp_x86_64.S: the x86-64 (BMI2 + ADX) Montgomery kernels for the
BLS12-381 base field Fp (6 x 64-bit limbs, R = 2^384) and the Montgomery product of the
scalar field Fr (4 limbs, R = 2^256). Re-run after editing:
    python3 tools/gen_fp_x86_64.py > src/bls/fp_x86_64.S

The carry chains are generated here, not typed by hand: mulx leaves the flags alone,
adcx uses only CF and adox only OF, so every row of a product runs two independent carry
chains (low halves on CF, high halves on OF). Register windows rotate by renaming in
Python, so the emitted code has no loops and no branches at all: it is constant time by
construction (the only data-dependent choice is the final subtraction, done by cmov).

Functions (System V ABI; declared in src/bls/internal.h; inputs < p unless noted):
    tkms_bls_fp_mul_adx(out[6], a[6], b[6])   Montgomery product, CIOS; out may alias
    tkms_bls_fp_sqr_adx(out[6], a[6])         Montgomery square: the 15 off-diagonal
                                              products once, doubled, the diagonal added,
                                              then the reduction of tkms_bls_fp_redc_adx
    tkms_bls_fp_mul384_adx(out[12], a[6], b[6])  exact 768-bit product of any 384-bit a, b;
                                              out must not overlap a or b
    tkms_bls_fp_redc_adx(out[6], t[12])       Montgomery reduction of t < p*2^384; out may
                                              alias t
    tkms_bls_fp_add_adx / _sub_adx(out, a, b) a +- b mod p; out may alias
    tkms_bls_fp2_mul_adx(out[12], a[12], b[12])  Fp2 product (c0, c1 pairs), Karatsuba on
                                              exact products with two reductions (lazy
                                              reduction, as blst's mul_mont_384x); out may
                                              alias a or b
    tkms_bls_fr_mul_adx(out[4], a[4], b[4])   Fr Montgomery product, inputs < r, out < r,
                                              out may alias: gen_mul instantiated for the
                                              4-limb modulus r (the Field FR below)

Why no carry limb: p < 2^381, so the CIOS running sum stays below 2p < 2^382 and each
7-limb intermediate (T + a b_i or T + q p) is below 2^446: the last `adc $0` of a row never
carries out, and no adox chain carries out of the top limb. In general, for an n-limb
modulus m < 2^(64n-1), a, b < m and T < 2m: T + a b_i + q m < 2m + 2m(2^64-1)
= 2m 2^64 <= 2^(64(n+1)), so the n+1 limb window never overflows, and the next T (that
sum / 2^64) is again < 2m. Fr's r < 2^255 meets this with one bit to spare (Fp has three).
Each chain only adds, so neither can carry out of a window whose total does not. The
script checks these claims while it simulates every function (a small interpreter for the
emitted instructions that also tracks where each flag came from and fails on a lost carry
or a chain started on unknown flags) on edge and random inputs, before printing anything.
"""
import random
import sys

P = int("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf"
        "6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", 16)
W = 2**64
R = 2**384
N0 = (-pow(P, -1, W)) % W
assert N0 == 0x89f3fffcfffcfffd
assert P < 2**381  # the no-final-carry argument above
P_LIMBS = [(P >> (64 * i)) & (W - 1) for i in range(6)]

# The scalar field: r < 2^255 = 2^(64*4 - 1), the general no-carry condition above.
R_MOD = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
R_N0 = (-pow(R_MOD, -1, W)) % W
assert R_N0 == 0xfffffffeffffffff
assert R_MOD < 2**255


class Field:
    """A Montgomery modulus for gen_mul: limb count, value, and the .rodata labels of its
    limbs and of n0 = -m^-1 mod 2^64."""

    def __init__(self, n, m, n0, m_label, n0_label):
        assert m < 2**(64 * n - 1) and (m * n0) % W == W - 1
        self.n, self.m, self.n0 = n, m, n0
        self.limbs = [(m >> (64 * i)) & (W - 1) for i in range(n)]
        self.m_label, self.n0_label = m_label, n0_label


FP = Field(6, P, N0, ".Lp", ".Ln0")
FR = Field(4, R_MOD, R_N0, ".Lr", ".Lr_n0")
CONSTS = {".Lp": FP.limbs, ".Ln0": [N0], ".Lr": FR.limbs, ".Lr_n0": [R_N0]}

REG32 = {"rax": "eax", "rbx": "ebx", "rcx": "ecx", "rdx": "edx", "rsi": "esi", "rdi": "edi",
         "rbp": "ebp", "rsp": "esp", **{"r%d" % i: "r%dd" % i for i in range(8, 16)}}


class Asm:
    """Collects instructions (as tuples, for the simulator) and renders AT&T text."""

    def __init__(self):
        self.ins = []

    def __call__(self, op, *args):
        self.ins.append((op,) + args)


def r(name):
    return "%" + name


def mem(base, off=0):
    return ("mem", base, off)


def plimb(i, f=FP):
    """Limb i of the modulus, a rip-relative .rodata operand."""
    return ("const", f.m_label, i)


def n0_operand(f=FP):
    return ("const", f.n0_label, 0)


def fmt(x):
    if isinstance(x, str) and x.startswith(".L"):
        return x
    if isinstance(x, tuple):
        if x[0] == "mem":
            return "%d(%%%s)" % (x[2], x[1]) if x[2] else "(%%%s)" % x[1]
        if x[0] == "const":
            return "%s+%d(%%rip)" % (x[1], 8 * x[2]) if x[2] else "%s(%%rip)" % x[1]
        if x[0] == "imm":
            return "$%d" % x[1]
    return "%" + x


def imm(v):
    return ("imm", v)


# ---------------------------------------------------------------------------------------------
# Building blocks. Registers are plain strings ("r8"); the window lists are rotated in Python.

def prologue(a, saved):
    for s in saved:
        a("push", s)


def epilogue(a, saved):
    for s in reversed(saved):
        a("pop", s)
    a("ret")


def reduce_step(a, t, lo, hi, f=FP):
    """One Montgomery step on the n+1 register window t (n = f.n):
    q = t0 * n0 mod 2^64, t += q * m; afterwards t0 == 0 and the value is t[1..n].
    imul (latency 3) clobbers the flags; the xor clears CF and OF for the two chains."""
    n = f.n
    a("mov", t[0], "rdx")
    a("imul", n0_operand(f), "rdx")
    a("xor", REG32[lo], REG32[lo])
    for j in range(n):
        a("mulx", plimb(j, f), lo, hi)
        a("adcx", lo, t[j])
        a("adox", hi, t[j + 1])
    a("adc", imm(0), t[n])


def mul_row(a, t, src, lo, hi, clear=True, n=6):
    """t[0..n] += src[0..n-1] * rdx with t[n] == 0 on entry (n = 6 for Fp, 4 for Fr).
    Unless the caller has just cleared them, the flags are cleared by a xor: this costs an
    instruction but makes the row independent of the previous chain's last adc, so
    consecutive chains overlap in the out-of-order core (about 20% lower latency for the
    Montgomery product)."""
    if clear:
        a("xor", REG32[lo], REG32[lo])
    for j in range(n):
        a("mulx", mem(src, 8 * j), lo, hi)
        a("adcx", lo, t[j])
        a("adox", hi, t[j + 1])
    a("adc", imm(0), t[n])


def first_row(a, t, src, lo, n=6):
    """t[0..n] = src[0..n-1] * rdx (t's old contents are ignored)."""
    a("mulx", mem(src, 0), t[0], t[1])
    for j in range(1, n):
        a("mulx", mem(src, 8 * j), lo, t[j + 1])
        a("add" if j == 1 else "adc", lo, t[j])
    a("adc", imm(0), t[n])


def cond_sub_store(a, t, spare, out, f=FP):
    """out = t - m if t >= m else t, for t < 2m held in t[0..n-1]; spare: n free
    registers."""
    n = f.n
    for j in range(n):
        a("mov", t[j], spare[j])
        a("sub" if j == 0 else "sbb", plimb(j, f), spare[j])
    for j in range(n):
        a("cmovc", t[j], spare[j])  # borrow: t < m, keep t
    for j in range(n):
        a("mov", spare[j], mem(out, 8 * j))


def cond_sub_store_mem(a, t, out):
    """As cond_sub_store without spare registers: t is parked in out, t - p computed in
    place, and cmov reloads the parked copy (the load always happens: constant time)."""
    for j in range(6):
        a("mov", t[j], mem(out, 8 * j))
    for j in range(6):
        a("sub" if j == 0 else "sbb", plimb(j), t[j])
    for j in range(6):
        a("cmovc", mem(out, 8 * j), t[j])
    for j in range(6):
        a("mov", t[j], mem(out, 8 * j))


# ---------------------------------------------------------------------------------------------
# The four functions.

def gen_mul(a, f=FP):
    """CIOS: for i in 0..n-1: T += a * b[i]; T = (T + q m) / 2^64. T < 2m throughout.
    The window t is r8.. (n+1 registers), hi the next one; those from r12 on are
    callee-saved (Fp: t = r8-r14, hi = r15; Fr: t = r8-r12, hi = r13)."""
    n = f.n
    regs = ["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    t, hi, lo = regs[:n + 1], regs[n + 1], "rax"
    saved = regs[4:n + 2]
    prologue(a, saved)
    a("mov", "rdx", "rcx")  # b; rdx is mulx's implicit operand
    a("mov", mem("rcx", 0), "rdx")
    first_row(a, t, "rsi", lo, n)
    reduce_step(a, t, lo, hi, f)
    t = t[1:] + t[:1]  # the zeroed t0 becomes the next top limb
    for i in range(1, n):
        a("mov", mem("rcx", 8 * i), "rdx")
        mul_row(a, t, "rsi", lo, hi, n=n)
        reduce_step(a, t, lo, hi, f)
        t = t[1:] + t[:1]
    cond_sub_store(a, t, ["rax", hi, "rdx", "rcx", "rsi", t[n]][:n], "rdi", f)
    epilogue(a, saved)


def gen_fr_mul(a):
    gen_mul(a, FR)


def mul384_body(a):
    """Schoolbook rows; limb i of the result is final after row i and stored at once.
    In: rdi = out[12], rsi = a, rcx = b. Clobbers rax, rdx, r8-r15."""
    t = ["r8", "r9", "r10", "r11", "r12", "r13", "r14"]
    lo, hi = "rax", "r15"
    a("mov", mem("rcx", 0), "rdx")
    first_row(a, t, "rsi", lo)
    a("mov", t[0], mem("rdi", 0))
    for i in range(1, 6):
        t = t[1:] + t[:1]
        # The stored limb's register becomes the new top: zero it (also clears CF, OF).
        a("xor", REG32[t[6]], REG32[t[6]])
        a("mov", mem("rcx", 8 * i), "rdx")
        mul_row(a, t, "rsi", lo, hi, clear=False)
        a("mov", t[0], mem("rdi", 8 * i))
    for j in range(1, 7):
        a("mov", t[j], mem("rdi", 8 * (5 + j)))


def gen_mul384(a):
    saved = ["r12", "r13", "r14", "r15"]
    prologue(a, saved)
    a("mov", "rdx", "rcx")
    mul384_body(a)
    epilogue(a, saved)


def redc_body(a):
    """Montgomery reduction of t < p 2^384: L = (t_lo + Q p) / 2^384 <= p by six
    reduce_steps on the low half, then L + t_hi < 2p, then one conditional subtraction.
    In: rdi = out[6], rsi = t[12] (may overlap). Clobbers rax, rcx, rdx, r8-r14."""
    t = ["rcx", "r8", "r9", "r10", "r11", "r12", "r13"]
    lo, hi = "rax", "r14"
    for j in range(6):
        a("mov", mem("rsi", 8 * j), t[j])
    a("xor", REG32[t[6]], REG32[t[6]])
    for _ in range(6):
        reduce_step(a, t, lo, hi)
        t = t[1:] + t[:1]
    for j in range(6):
        a("add" if j == 0 else "adc", mem("rsi", 48 + 8 * j), t[j])
    cond_sub_store_mem(a, t, "rdi")


def gen_redc(a):
    saved = ["r12", "r13", "r14"]
    prologue(a, saved)
    redc_body(a)
    epilogue(a, saved)


def gen_add(a):
    """out = a + b mod p: the sum (< 2p < 2^382, no carry) is parked in out, p is
    subtracted in registers and cmov reloads the sum when that borrowed. out may alias."""
    t = ["r8", "r9", "r10", "r11", "rcx", "rax"]
    for j in range(6):
        a("mov", mem("rsi", 8 * j), t[j])
    for j in range(6):
        a("add" if j == 0 else "adc", mem("rdx", 8 * j), t[j])
    cond_sub_store_mem(a, t, "rdi")
    a("ret")


def gen_sub(a):
    """out = a - b mod p: subtract, turn the borrow into a mask, add p & mask in memory
    (the final carry out cancels the borrow). out may alias a or b."""
    t = ["r8", "r9", "r10", "r11", "rcx", "rax"]
    for j in range(6):
        a("mov", mem("rsi", 8 * j), t[j])
    for j in range(6):
        a("sub" if j == 0 else "sbb", mem("rdx", 8 * j), t[j])
    a("sbb", "rsi", "rsi")  # all ones if a < b
    for j in range(6):
        a("mov", t[j], mem("rdi", 8 * j))
    for j in range(6):
        a("mov", plimb(j), t[j])
        a("and", "rsi", t[j])
    for j in range(6):
        a("add" if j == 0 else "adc", t[j], mem("rdi", 8 * j))
    a("ret")


# Frame of the Fp2 product (bytes from rsp): three 768-bit products, the two sums, the
# saved pointers.
T0, T1, T2, SA, SB, OUT, APTR, BPTR, FRAME = 0, 96, 192, 288, 336, 384, 392, 400, 408


def add6_to_frame(a, src, off, regs):
    """frame[off..] = src[0..5] + src[6..11] (no carry out: both halves are < p)."""
    for j in range(6):
        a("mov", mem(src, 8 * j), regs[j])
    for j in range(6):
        a("add" if j == 0 else "adc", mem(src, 48 + 8 * j), regs[j])
    for j in range(6):
        a("mov", regs[j], mem("rsp", off + 8 * j))


def gen_fp2_mul(a):
    """Karatsuba with lazy reduction (fp_wide.c explains the bounds):
    t0 = a0 b0, t1 = a1 b1, t2 = (a0 + a1)(b0 + b1) as exact 768-bit products;
    c1 = t2 - t0 - t1 (never negative), c0 = t0 - t1 (+ p 2^384 if negative);
    out = (redc c0, redc c1). out may alias a or b: it is written after the last read."""
    saved = ["r12", "r13", "r14", "r15"]
    prologue(a, saved)
    a("sub", imm(FRAME), "rsp")
    a("mov", "rdi", mem("rsp", OUT))
    a("mov", "rsi", mem("rsp", APTR))
    a("mov", "rdx", mem("rsp", BPTR))
    six = ["r8", "r9", "r10", "r11", "r12", "r13"]
    add6_to_frame(a, "rsi", SA, six)
    add6_to_frame(a, "rdx", SB, six)
    a("mov", "rdx", "rcx")
    a("lea", mem("rsp", T0), "rdi")
    a("call", ".Lfp2_mul384")                      # t0 = a0 b0
    a("lea", mem("rsp", T1), "rdi")
    a("mov", mem("rsp", APTR), "rsi")
    a("lea", mem("rsi", 48), "rsi")
    a("mov", mem("rsp", BPTR), "rcx")
    a("lea", mem("rcx", 48), "rcx")
    a("call", ".Lfp2_mul384")                      # t1 = a1 b1
    a("lea", mem("rsp", T2), "rdi")
    a("lea", mem("rsp", SA), "rsi")
    a("lea", mem("rsp", SB), "rcx")
    a("call", ".Lfp2_mul384")                      # t2 = (a0 + a1)(b0 + b1)
    w = ["rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14"]
    for j in range(12):                            # c1 = t2 - t0 - t1
        a("mov", mem("rsp", T2 + 8 * j), w[j])
    for src in (T0, T1):
        for j in range(12):
            a("sub" if j == 0 else "sbb", mem("rsp", src + 8 * j), w[j])
    for j in range(12):
        a("mov", w[j], mem("rsp", T2 + 8 * j))
    for j in range(12):                            # c0 = t0 - t1
        a("mov", mem("rsp", T0 + 8 * j), w[j])
    for j in range(12):
        a("sub" if j == 0 else "sbb", mem("rsp", T1 + 8 * j), w[j])
    a("sbb", "r15", "r15")                         # all ones if negative
    for j in range(6):
        a("mov", w[j], mem("rsp", T0 + 8 * j))
    for j in range(6):                             # p 2^384 & mask, mod 2^768
        a("mov", plimb(j), w[j])
        a("and", "r15", w[j])
    for j in range(6):
        a("add" if j == 0 else "adc", w[j], w[6 + j])
    for j in range(6):
        a("mov", w[6 + j], mem("rsp", T0 + 48 + 8 * j))
    a("mov", mem("rsp", OUT), "rdi")
    a("lea", mem("rsp", T0), "rsi")
    a("call", ".Lfp2_redc")                        # out.c0 = c0 / R
    a("mov", mem("rsp", OUT), "rdi")
    a("lea", mem("rdi", 48), "rdi")
    a("lea", mem("rsp", T2), "rsi")
    a("call", ".Lfp2_redc")                        # out.c1 = c1 / R
    a("add", imm(FRAME), "rsp")
    epilogue(a, saved)


def gen_fp2_mul384_local(a):
    mul384_body(a)
    a("ret")


def gen_fp2_redc_local(a):
    redc_body(a)
    a("ret")


def gen_sqr(a):
    """Square: off-diagonal products a_i a_j (i < j) once (15 mulx), doubled on the CF
    chain while the diagonal a_i^2 is added on the OF chain, giving the 12-limb square
    S < p^2 in registers (plus one on the stack); then reduced as in gen_redc."""
    saved = ["rbx", "rbp", "r12", "r13", "r14", "r15"]
    prologue(a, saved)
    a("push", "rdi")  # out: rdi is needed as a register
    s = [None, "rcx", "r8", "r9", "r10", "r11", "rbx", "rbp", "r12", "r13", "r14"]  # s[1..10]
    lo, hi = "rax", "r15"
    # Row 0: a0 * a[1..5] -> s1..s6.
    a("mov", mem("rsi", 0), "rdx")
    a("mulx", mem("rsi", 8), s[1], s[2])
    for j in range(2, 6):
        a("mulx", mem("rsi", 8 * j), lo, s[j + 1])
        a("add" if j == 2 else "adc", lo, s[j])
    a("adc", imm(0), s[6])
    # Rows 1..3: a_i * a[i+1..5] added at s[2i+1 ..], new top s[i+6].
    for i in range(1, 4):
        a("xor", REG32[s[i + 6]], REG32[s[i + 6]])
        a("mov", mem("rsi", 8 * i), "rdx")
        for j in range(i + 1, 6):
            a("mulx", mem("rsi", 8 * j), lo, hi)
            a("adcx", lo, s[i + j])
            a("adox", hi, s[i + j + 1])
        a("adc", imm(0), s[i + 6])
    # Row 4: a4 * a5 at s9, s10 (s10 fresh).
    a("mov", mem("rsi", 32), "rdx")
    a("mulx", mem("rsi", 40), lo, s[10])
    a("add", lo, s[9])
    a("adc", imm(0), s[10])
    # Double (CF chain) and add the diagonal (OF chain). R0 goes to rdi, R11 to rsi.
    a("xor", "eax", "eax")
    a("mov", mem("rsi", 0), "rdx")
    a("mulx", "rdx", "rdi", hi)
    a("adcx", s[1], s[1])
    a("adox", hi, s[1])
    for i in range(1, 6):
        a("mov", mem("rsi", 8 * i), "rdx")
        top = hi if i < 5 else "rsi"
        a("mulx", "rdx", lo, top)
        a("adcx", s[2 * i], s[2 * i])
        a("adox", lo, s[2 * i])
        if i < 5:
            a("adcx", s[2 * i + 1], s[2 * i + 1])
            a("adox", hi, s[2 * i + 1])
    a("mov", imm(0), "eax")  # mov keeps the flags
    a("adcx", "rax", "rsi")
    a("adox", "rax", "rsi")
    a("push", "rsi")  # R11: the reduction needs every register
    t = ["rdi", s[1], s[2], s[3], s[4], s[5], "rsi"]
    a("xor", "esi", "esi")
    for _ in range(6):
        reduce_step(a, t, lo, hi)
        t = t[1:] + t[:1]
    a("pop", "rax")  # R11
    high = [s[6], s[7], s[8], s[9], s[10], "rax"]
    for j in range(6):
        a("add" if j == 0 else "adc", high[j], t[j])
    a("pop", hi)  # out; rdi is t[1] by now
    cond_sub_store(a, t, ["rdx", "rax", t[6], s[6], s[7], s[8]], hi)
    epilogue(a, saved)


FUNCS = [
    ("tkms_bls_fp_mul_adx", gen_mul, "out = a b / R mod p"),
    ("tkms_bls_fp_sqr_adx", gen_sqr, "out = a^2 / R mod p"),
    ("tkms_bls_fp_mul384_adx", gen_mul384, "out = a b (768 bits)"),
    ("tkms_bls_fp_redc_adx", gen_redc, "out = t / R mod p, t < p R"),
    ("tkms_bls_fp_add_adx", gen_add, "out = a + b mod p"),
    ("tkms_bls_fp_sub_adx", gen_sub, "out = a - b mod p"),
    ("tkms_bls_fp2_mul_adx", gen_fp2_mul, "Fp2 product, two reductions"),
    (".Lfp2_mul384", gen_fp2_mul384_local, "local: mul384 body for the Fp2 product"),
    (".Lfp2_redc", gen_fp2_redc_local, "local: redc body for the Fp2 product"),
    ("tkms_bls_fr_mul_adx", gen_fr_mul, "Fr: out = a b / 2^256 mod r"),
]


# ---------------------------------------------------------------------------------------------
# Simulator: executes the instruction tuples on 64-bit registers, flags and memory, so every
# generated function is checked against Python integers before the file is written.

class Machine:
    def __init__(self):
        self.reg = {k: random.getrandbits(64) for k in REG32}
        self.cf = random.getrandbits(1)
        self.of = random.getrandbits(1)
        # Flag provenance: "junk" (unknown), "carry" (a carry bit), "signed" (OF of an
        # add/adc: usable as an adox carry-in only when it is 0).
        self.cf_kind = self.of_kind = "junk"
        self.memory = {}
        self.reg["rsp"] = STACK_TOP

    def read(self, x):
        if isinstance(x, tuple):
            if x[0] == "mem":
                return self.memory[self.reg[x[1]] + x[2]]
            if x[0] == "const":
                return CONSTS[x[1]][x[2]]
            if x[0] == "imm":
                return x[1]
        if x in REG32.values():
            return self.reg[[k for k, v in REG32.items() if v == x][0]] & 0xFFFFFFFF
        return self.reg[x]

    def write(self, x, v):
        v &= W - 1
        if isinstance(x, tuple):
            assert x[0] == "mem"
            self.memory[self.reg[x[1]] + x[2]] = v
        elif x in REG32.values():
            self.reg[[k for k, v2 in REG32.items() if v2 == x][0]] = v & 0xFFFFFFFF
        else:
            self.reg[x] = v

    def run(self, code, entry):
        """Executes code[entry]; call/ret go through the stack in memory."""
        self.op_push(None, ("return to test",))
        name, pc = entry, 0
        while True:
            op, *args = code[name][pc]
            pc += 1
            if op == "call":
                self.op_push(None, (name, pc))
                name, pc = args[0], 0
            elif op == "ret":
                back = self.memory[self.reg["rsp"]]
                self.reg["rsp"] += 8
                if back == ("return to test",):
                    return
                name, pc = back
            else:
                getattr(self, "op_" + op)(*args)

    def op_push(self, x, value=None):
        self.reg["rsp"] -= 8
        self.memory[self.reg["rsp"]] = self.reg[x] if x else value

    def op_pop(self, x):
        self.reg[x] = self.memory[self.reg["rsp"]]
        self.reg["rsp"] += 8

    def op_imul(self, src, dst):
        self.write(dst, self.read(src) * self.read(dst))
        self.cf_kind = self.of_kind = "junk"

    def op_lea(self, src, dst):
        self.reg[dst] = (self.reg[src[1]] + src[2]) & (W - 1)

    def op_and(self, src, dst):
        self.write(dst, self.read(dst) & self.read(src))
        self.cf = self.of = 0
        self.cf_kind = self.of_kind = "carry"

    def op_mov(self, src, dst):
        self.write(dst, self.read(src))

    def op_mulx(self, src, lo, hi):
        prod = self.read(src) * self.reg["rdx"]
        self.write(hi, prod >> 64)
        self.write(lo, prod)  # Intel: when both are the same register, hi wins (unused here)

    def _addflags(self, a, b, c, signed_of=True):
        s = a + b + c
        self.cf = s >> 64
        sa, sb = a - (a >> 63 << 64), b - (b >> 63 << 64)
        ss = sa + sb + c
        self.of = int(not (-(2**63) <= ss < 2**63))
        return s

    def op_add(self, src, dst):
        self.write(dst, self._addflags(self.read(dst), self.read(src), 0))
        self.cf_kind, self.of_kind = "carry", "signed"

    def op_adc(self, src, dst):
        assert self.cf_kind == "carry"
        if src == imm(0):
            # The row's last carries: neither the OF chain nor this add may carry out.
            assert self.of_kind != "carry" or self.of == 0, "lost OF carry"
            self.write(dst, self._addflags(self.read(dst), 0, self.cf))
            assert self.cf == 0, "lost CF carry"
        else:
            self.write(dst, self._addflags(self.read(dst), self.read(src), self.cf))
        self.cf_kind, self.of_kind = "carry", "signed"

    def op_adcx(self, src, dst):
        assert self.cf_kind == "carry", "adcx on unknown CF"
        s = self.read(dst) + self.read(src) + self.cf
        self.cf = s >> 64
        self.write(dst, s)

    def op_adox(self, src, dst):
        assert self.of_kind == "carry" or (self.of_kind == "signed" and self.of == 0), \
            "adox on unknown OF"
        s = self.read(dst) + self.read(src) + self.of
        self.of = s >> 64
        self.of_kind = "carry"
        self.write(dst, s)

    def _subflags(self, a, b, c):
        d = a - b - c
        self.cf = int(d < 0)
        sa, sb = a - (a >> 63 << 64), b - (b >> 63 << 64)
        sd = sa - sb - c
        self.of = int(not (-(2**63) <= sd < 2**63))
        return d

    def op_sub(self, src, dst):
        self.write(dst, self._subflags(self.read(dst), self.read(src), 0))
        self.cf_kind, self.of_kind = "carry", "signed"

    def op_sbb(self, src, dst):
        assert self.cf_kind == "carry"
        self.write(dst, self._subflags(self.read(dst), self.read(src), self.cf))
        self.cf_kind, self.of_kind = "carry", "signed"

    def op_cmovc(self, src, dst):
        v = self.read(src)
        if self.cf:
            self.write(dst, v)

    def op_xor(self, src, dst):
        self.write(dst, self.read(dst) ^ self.read(src))
        self.cf = self.of = 0
        self.cf_kind = self.of_kind = "carry"


STACK_TOP = 0x7F0000


def sim(code, name, args, inputs, out_len, out_at):
    """Runs code[name] with pointer arguments; inputs: {address: [limbs]}; returns the
    out_len limbs at out_at. Checks the stack balance and the callee-saved registers."""
    m = Machine()
    for reg, addr in zip(["rdi", "rsi", "rdx"], args):
        m.reg[reg] = addr
    for addr, limbs in inputs.items():
        for i, v in enumerate(limbs):
            m.memory[addr + 8 * i] = v
    saved = {k: m.reg[k] for k in ["rbx", "rbp", "r12", "r13", "r14", "r15"]}
    m.run(code, name)
    assert m.reg["rsp"] == STACK_TOP, "unbalanced stack"
    for k, v in saved.items():
        assert m.reg[k] == v, "callee-saved %s clobbered" % k
    return sum(m.memory[out_at + 8 * i] << (64 * i) for i in range(out_len))


def to_limbs(x, n):
    return [(x >> (64 * i)) & (W - 1) for i in range(n)]


def self_check(code):
    rinv = pow(R, -1, P)
    edges = [0, 1, P - 1, R % P, P - 2, (R * R) % P]
    edges += [x for x in (sum((W - 1) << (64 * i) for i in range(k)) for k in range(1, 6))]
    edges += [P - (1 << k) for k in (64, 128, 200, 320)]
    vals = edges + [random.randrange(P) for _ in range(300)]
    pairs = [(x, y) for x in edges for y in edges] + list(zip(vals, reversed(vals)))
    A, B, O = 0x1000, 0x2000, 0x3000
    for x, y in pairs:
        xl, yl = to_limbs(x, 6), to_limbs(y, 6)
        want = x * y * rinv % P
        got = sim(code, "tkms_bls_fp_mul_adx", [O, A, B], {A: xl, B: yl}, 6, O)
        assert got == want, ("mul", hex(x), hex(y))
        got = sim(code, "tkms_bls_fp_mul_adx", [A, A, B], {A: xl, B: yl}, 6, A)
        assert got == want, ("mul alias", hex(x), hex(y))
        got = sim(code, "tkms_bls_fp_mul384_adx", [O, A, B], {A: xl, B: yl}, 12, O)
        assert got == x * y, ("mul384", hex(x), hex(y))
        got = sim(code, "tkms_bls_fp_redc_adx", [A, O], {O: to_limbs(x * y, 12)}, 6, A)
        assert got == want, ("redc", hex(x), hex(y))
        for name, value in (("tkms_bls_fp_add_adx", (x + y) % P),
                            ("tkms_bls_fp_sub_adx", (x - y) % P)):
            got = sim(code, name, [O, A, B], {A: xl, B: yl}, 6, O)
            assert got == value, (name, hex(x), hex(y))
            got = sim(code, name, [B, A, B], {A: xl, B: yl}, 6, B)
            assert got == value, (name + " out=b", hex(x), hex(y))
            got = sim(code, name, [A, A, A], {A: xl}, 6, A)
            assert got == (value if x == y else (2 * x if "add" in name else 0) % P), name
    for x in vals:
        got = sim(code, "tkms_bls_fp_sqr_adx", [A, A], {A: to_limbs(x, 6)}, 6, A)
        assert got == x * x * rinv % P, ("sqr", hex(x))
    for k in range(len(vals)):  # Fp2 product, including edge components and aliasing
        x0, x1, y0, y1 = vals[k], vals[k - 1], vals[k - 2], vals[(3 * k) % len(vals)]
        want = ((x0 * y0 - x1 * y1) * rinv % P) | (((x0 * y1 + x1 * y0) * rinv % P) << 384)
        xin, yin = to_limbs(x0 | (x1 << 384), 12), to_limbs(y0 | (y1 << 384), 12)
        got = sim(code, "tkms_bls_fp2_mul_adx", [O, A, B], {A: xin, B: yin}, 12, O)
        assert got == want, ("fp2_mul", k)
        got = sim(code, "tkms_bls_fp2_mul_adx", [A, A, B], {A: xin, B: yin}, 12, A)
        assert got == want, ("fp2_mul alias", k)
    for t in [P * R - 1, 4 * (P - 1) ** 2, R * R // 64, (P - 1) * R]:  # redc extremes
        assert t < P * R
        got = sim(code, "tkms_bls_fp_redc_adx", [A, O], {O: to_limbs(t, 12)}, 6, A)
        assert got == t * rinv % P, ("redc edge", hex(t))


def fr_edges():
    """0, 1, r-1, r-2, R mod r, R^2 mod r (R = 2^256), 2^(64k)-1 (k = 1..3), r-2^(64k)
    (k = 1..3), all-ones limbs under a top limb of r3 - 1, r - 2^128 - 1 and (r+1)/2."""
    m, rr = FR.m, 2**256
    e = [0, 1, m - 1, m - 2, rr % m, rr * rr % m]
    e += [2**(64 * k) - 1 for k in range(1, 4)]
    e += [m - 2**(64 * k) for k in range(1, 4)]
    e += [(FR.limbs[3] - 1) << 192 | (2**192 - 1), m - 2**128 - 1, (m >> 1) + 1]
    assert all(0 <= x < m for x in e)
    return e


def self_check_fr(code):
    """tkms_bls_fr_mul_adx against Python integers: every pair of edge values, random
    pairs, and out aliasing a, b and a = b."""
    m, rinv = FR.m, pow(2**256, -1, FR.m)
    edges = fr_edges()
    vals = edges + [random.randrange(m) for _ in range(1000)]
    pairs = [(x, y) for x in edges for y in edges] + list(zip(vals, reversed(vals)))
    A, B, O = 0x1000, 0x2000, 0x3000
    name = "tkms_bls_fr_mul_adx"
    for x, y in pairs:
        xl, yl = to_limbs(x, 4), to_limbs(y, 4)
        want = x * y * rinv % m
        got = sim(code, name, [O, A, B], {A: xl, B: yl}, 4, O)
        assert got == want, ("fr_mul", hex(x), hex(y))
        got = sim(code, name, [A, A, B], {A: xl, B: yl}, 4, A)
        assert got == want, ("fr_mul out=a", hex(x), hex(y))
        got = sim(code, name, [B, A, B], {A: xl, B: yl}, 4, B)
        assert got == want, ("fr_mul out=b", hex(x), hex(y))
        got = sim(code, name, [A, A, A], {A: xl}, 4, A)
        assert got == x * x * rinv % m, ("fr_mul out=a=b", hex(x))


# ---------------------------------------------------------------------------------------------

def render(name, ins, summary):
    if name.startswith(".L"):
        lines = ["", "/* %s (%d instructions). */" % (summary, len(ins)), ".p2align 5",
                 "%s:" % name, "    .cfi_startproc"]
        return lines + render_body(ins, 8)
    lines = [
        "",
        "/* %s: %s (%d instructions). */" % (name, summary, len(ins)),
        ".globl %s" % name,
        ".hidden %s" % name,
        ".type %s,@function" % name,
        ".p2align 5",
        "%s:" % name,
        "    .cfi_startproc",
        "#if defined(__CET__) && (__CET__ & 1)",
        "    endbr64",
        "#endif",
    ]
    return lines + render_body(ins, 8) + [".size %s,.-%s" % (name, name)]


def render_body(ins, depth):
    lines = []
    for op, *args in ins:
        lines.append("    %-6s %s" % (op, ", ".join(fmt(x) for x in args)) if args else "    " + op)
        if op == "push":
            depth += 8
            lines.append("    .cfi_adjust_cfa_offset 8")
        elif op == "pop":
            depth -= 8
            lines.append("    .cfi_adjust_cfa_offset -8")
        elif op == "sub" and args[1] == "rsp":
            depth += args[0][1]
            lines.append("    .cfi_adjust_cfa_offset %d" % args[0][1])
        elif op == "add" and args[1] == "rsp":
            depth -= args[0][1]
            lines.append("    .cfi_adjust_cfa_offset -%d" % args[0][1])
    assert depth == 8
    return lines + ["    .cfi_endproc"]


HEADER = """/*
 * fp_x86_64.S — GENERATED by tools/gen_fp_x86_64.py; do not edit by hand.
 *
 * Montgomery multiplication, squaring, 768-bit product and reduction for the BLS12-381
 * base field (6 x 64-bit limbs, R = 2^384) with mulx/adcx/adox (BMI2 + ADX; Intel
 * Broadwell, AMD Zen and later). Straight-line code: no branches, no data-dependent
 * addresses; the final subtraction of p is selected by cmov. Inputs are < p (redc:
 * t < p * 2^384) and outputs are fully reduced. The generator explains the carry-chain
 * layout and checks every function on a simulator. Contract: src/bls/internal.h.
 *
 * tkms_bls_fr_mul_adx is the same Montgomery product for the scalar field Fr (4 limbs,
 * R = 2^256, modulus r): inputs < r, output < r, out may alias a or b.
 */
"""


def main():
    random.seed(381)
    code = {}
    for name, gen, _ in FUNCS:
        a = Asm()
        gen(a)
        code[name] = a.ins
    self_check(code)
    self_check_fr(code)
    out = [HEADER.rstrip("\n")]
    out += ["", "    .section .rodata", "    .p2align 6", ".Lp:"]
    out += ["    .quad 0x%016x" % v for v in P_LIMBS]
    out += [".Ln0:", "    .quad 0x%016x" % N0]
    out += ["    .p2align 5", ".Lr:"]
    out += ["    .quad 0x%016x" % v for v in FR.limbs]
    out += [".Lr_n0:", "    .quad 0x%016x" % R_N0, "", "    .text"]
    for name, _, summary in FUNCS:
        out += render(name, code[name], summary)
    out += ["", '    .section .note.GNU-stack,"",@progbits']
    out += [
        "",
        "#if defined(__CET__)",
        "/* GNU property note: this object supports IBT (endbr64 above) and SHSTK. */",
        '    .section .note.gnu.property,"a"',
        "    .p2align 3",
        "    .long 4, 16, 5",
        '    .asciz "GNU"',
        "    .long 0xc0000002, 4, 3",
        "    .p2align 3",
        "#endif",
    ]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
