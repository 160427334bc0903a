#!/usr/bin/env python3
"""Generates src/bls/h2c_constants.c: the constants of RFC 9380 hash-to-curve for
BLS12-381 (suites BLS12381G1_XMD:SHA-256_SSWU_* and BLS12381G2_XMD:SHA-256_SSWU_*):
the isogenous curves E1' and E2' with their SSWU constants Z (RFC 9380 §8.8.1, §8.8.2),
the 11-isogeny E1' -> E1 and 3-isogeny E2' -> E2 (Appendix E.2, E.3), the sqrt_ratio
constants (Appendix F.2.1.1 and F.2.1.2) and the fixed exponentiation chains used by
h2c_g1.c / h2c_g2.c. Re-run after changing anything here:
    python3 tools/gen_h2c_constants.py > src/bls/h2c_constants.c
Nothing is trusted as typed: every constant is asserted against its defining property
(Z conditions of §6.6.2, isogeny maps points of E' onto E and is a homomorphism, sqrt_ratio
constants satisfy their equations, chains evaluate to their exponents), and a Python model of
exactly the straight-line algorithm the C code runs is checked against every map_to_curve
vector (u -> Q0, Q1, Q) of tests/vectors/bls12_381/*.json."""

import json
import os
import random

p = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab
R = 2**384
HERE = os.path.dirname(os.path.abspath(__file__))
VEC_DIR = os.path.join(HERE, "..", "tests", "vectors", "bls12_381")
rng = random.Random(9380)

# ---- Fp and Fp2 = Fp[u]/(u^2+1) as pairs ----------------------------------------------
def inv(a): return pow(a, p - 2, p)
def is_sq(a): return a % p == 0 or pow(a, (p - 1) // 2, p) == 1
def f2(a, b=0): return (a % p, b % p)
def f2add(a, b): return ((a[0] + b[0]) % p, (a[1] + b[1]) % p)
def f2sub(a, b): return ((a[0] - b[0]) % p, (a[1] - b[1]) % p)
def f2neg(a): return (-a[0] % p, -a[1] % p)
def f2mul(a, b): return ((a[0]*b[0] - a[1]*b[1]) % p, (a[0]*b[1] + a[1]*b[0]) % p)
def f2conj(a): return (a[0], -a[1] % p)
def f2pow(a, e):
    res, base = (1, 0), a
    while e:
        if e & 1:
            res = f2mul(res, base)
        base = f2mul(base, base)
        e >>= 1
    return res
def f2inv(a):
    d = inv(a[0]*a[0] + a[1]*a[1])
    return (a[0]*d % p, -a[1]*d % p)
def f2is_sq(a): return is_sq(a[0]*a[0] + a[1]*a[1])  # norm test: p = 3 mod 4
def f2sgn0(a):
    return (a[0] & 1) | ((a[0] == 0) & (a[1] & 1))

class Fp1:
    """Fp with the same interface as Fp2 so one model serves both curves."""
    one, zero = 1, 0
    add = staticmethod(lambda a, b: (a + b) % p)
    sub = staticmethod(lambda a, b: (a - b) % p)
    mul = staticmethod(lambda a, b: a * b % p)
    neg = staticmethod(lambda a: -a % p)
    inv = staticmethod(inv)
    pow = staticmethod(lambda a, e: pow(a, e, p))
    is_sq = staticmethod(is_sq)
    sgn0 = staticmethod(lambda a: a & 1)
    rand = staticmethod(lambda: rng.randrange(p))
    conv = staticmethod(lambda a: a % p)
class Fp2:
    one, zero = (1, 0), (0, 0)
    add, sub, mul = staticmethod(f2add), staticmethod(f2sub), staticmethod(f2mul)
    neg, inv, pow = staticmethod(f2neg), staticmethod(f2inv), staticmethod(f2pow)
    is_sq, sgn0 = staticmethod(f2is_sq), staticmethod(f2sgn0)
    rand = staticmethod(lambda: (rng.randrange(p), rng.randrange(p)))
    conv = staticmethod(lambda a: (a[0] % p, a[1] % p))

def sqrt_any(F, a):
    """Some square root of a square a (slow, generator-only)."""
    if F is Fp1:
        r = pow(a, (p + 1) // 4, p)
        assert r * r % p == a
        return r
    # Fp2: try candidates from the norm method.
    if a == (0, 0):
        return a
    n = a[0]*a[0] + a[1]*a[1]
    s = pow(n, (p + 1) // 4, p)
    for sn in (s, -s % p):
        x2 = (a[0] + sn) * inv(2) % p
        if is_sq(x2):
            x0 = pow(x2, (p + 1) // 4, p)
            if x0 == 0:
                continue
            x1 = a[1] * inv(2 * x0) % p
            if f2mul((x0, x1), (x0, x1)) == a:
                return (x0, x1)
    # a in Fp with non-square real part: sqrt = u * sqrt(-a0)
    y = pow(-a[0] % p, (p + 1) // 4, p)
    assert f2mul((0, y), (0, y)) == a
    return (0, y)

# ---- the curves (RFC 9380 §8.8.1, §8.8.2) -------------------------------------------
E1_B = 4
E2_B = (4, 4)
# E1': y^2 = x^3 + A'x + B' and Z = 11 (§8.8.1).
ISO1_A = 0x144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c1d
ISO1_B = 0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e172be0
ISO1_Z = 11
# E2': A' = 240u, B' = 1012(1+u), Z = -(2+u) (§8.8.2).
ISO2_A = (0, 240)
ISO2_B = (1012, 1012)
ISO2_Z = f2neg((2, 1))

# 11-isogeny E1' -> E1 (Appendix E.2): k_(j,i), ascending i. x_den and y_den are monic
# (their leading 1 is implicit and not listed).
K1 = [int(h, 16) for h in """
11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6eaeac1662734649b7
17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356e834eef1b3cb83bb
0d54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe0179f9dac9edcb0
1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193c5b388641d9b6861
0e99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c451154ce9ac8895d9
1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19cd13c1c66f652983
0d6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecaddd7f225a139ed84
17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af9ccb5618e3f0c88e
080d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956d71986a8497e317
169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc0327797f241067be390c9e
10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285decca67df3f1605fb7b
06e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa9c8ba2e8ba2d229
""".split()]
K2 = [int(h, 16) for h in """
08ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df8993cf9fa40d21b1c
12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9e5c8276ec82b3bff
0b2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcfcc239ba5cb83e19
03425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c4130de8938dc62cd8
13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d539d395b3532a21e
0e7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c02df9a29f6304a5
0772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06cec2574496ee84a3a
14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d311f7d99bbdcc5a5e
0a10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704776ec3a79a1d641
095fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002d6384d168ecdd0a
""".split()]
K3 = [int(h, 16) for h in """
090d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2be9845719707bb33
134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bfe097e75a2e41c696
00cc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8dfe240c72de1f6
01f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca6355c77b0e5f4cb
08cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a841b6daecf2e8fedb
16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a807299b23ab13633a5f0
04ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec961f8855fe9d6f2
0987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a15e4ca31870fb29
09fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a360370e577bdba587
0e1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2bafaaebca731c30
19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafce813711ad011c132
18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606ce07c8a4d0074d8e
0b182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20d4c04f00b971ef8
0245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a6442d9d3f5db980133
05c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb7866b1e715475224b
15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c7704b456be69c8b604
""".split()]
K4 = [int(h, 16) for h in """
16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d01479253b03663c1
1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e3532f6102c2e49a03d
058df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891e2538b53dbf67f2
16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ada8d26d98445f5416
0be0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededda39142311a5001d
08d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce202c6477faaf9b7ac
166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb93d1a1399126a775c
16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee460ee415a15812ed9
1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb9248836b233d9d55535d4a
167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e346ef48bb8913f55
04d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f83060400f8b49cba8f6aa8
0accbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9684b529e2561092
0ad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11e99b138573345cc
02660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d1fadc1326ed06f7
0e0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804415473a1d634b8f
""".split()]
ISO1 = (K1, K2, K3, K4)
assert [len(k) for k in ISO1] == [12, 10, 16, 15]

# 3-isogeny E2' -> E2 (Appendix E.3), Fp2 coefficients (c0, c1).
_a = 0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6
_b = 0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71a
_c = 0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38d
_d = 0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706
ISO2 = (
    [(_a, _a), (0, _b), (_b + 4, _c),
     (0x171d6541fa38ccfaed6dea691f5fb614cb14b4e7f4e810aa22d6108f142b85757098e38d0f671c7188e2aaaaaaaa5ed1, 0)],
    [(0, p - 0x48), (0xc, p - 0xc)],
    [(_d, _d), (0, _a - 0x18), (_b + 2, _c + 2),
     (0x124c9ad43b6cf79bfbf7043de3811ad0761b0f37a1e26286b0e977c69aa274524e79097a56dc4bd9e1b371c71c718b10, 0)],
    [(p - 0x1b0, p - 0x1b0), (0, p - 0xd8), (0x12, p - 0x12)],
)
# The listed hex of E.3 in full, to catch a slip in the compact form above.
assert ISO2[0][1][1] == 0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71a
assert ISO2[0][2][0] == 0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71e
assert ISO2[1][0][1] == 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa63
assert ISO2[1][1][1] == 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa9f
assert ISO2[2][1][1] == 0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97be
assert ISO2[2][2][1] == 0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38f
assert ISO2[3][0][0] == 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb
assert ISO2[3][1][1] == 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa9d3
assert ISO2[3][2][1] == 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa99
assert [len(k) for k in ISO2] == [4, 2, 4, 3]

# ---- affine curve arithmetic for the property checks ----------------------------------
def ec_add(F, a, P, Q):
    """Affine addition on y^2 = x^3 + a x + b; None is the identity."""
    if P is None:
        return Q
    if Q is None:
        return P
    if P[0] == Q[0]:
        if F.add(P[1], Q[1]) == F.zero:
            return None
        x2 = F.mul(P[0], P[0])
        num = F.add(F.add(F.add(x2, x2), x2), a)
        lam = F.mul(num, F.inv(F.add(P[1], P[1])))
    else:
        lam = F.mul(F.sub(Q[1], P[1]), F.inv(F.sub(Q[0], P[0])))
    x = F.sub(F.sub(F.mul(lam, lam), P[0]), Q[0])
    return (x, F.sub(F.mul(lam, F.sub(P[0], x)), P[1]))

def on_curve(F, a, b, P):
    x, y = P
    return F.mul(y, y) == F.add(F.add(F.mul(F.mul(x, x), x), F.mul(a, x)), b)

def conv_iso(F, iso):
    return [[F.conv(c) for c in k] for k in iso]

def poly(F, k, x, monic):
    acc = F.one if monic else F.zero
    for c in reversed(k):
        acc = F.add(F.mul(acc, x), c)
    return acc

def iso_map(F, iso, P):
    """The rational map of Appendix E; None (identity) when a denominator vanishes."""
    if P is None:
        return None
    x, y = P
    xd, yd = poly(F, iso[1], x, True), poly(F, iso[3], x, True)
    if xd == F.zero or yd == F.zero:
        return None
    return (F.mul(poly(F, iso[0], x, False), F.inv(xd)),
            F.mul(y, F.mul(poly(F, iso[2], x, False), F.inv(yd))))

def rand_point(F, a, b):
    while True:
        x = F.rand()
        g = F.add(F.add(F.mul(F.mul(x, x), x), F.mul(a, x)), b)
        if F.is_sq(g):
            return (x, sqrt_any(F, g))

def check_isogeny(F, a, b, eb, iso):
    """iso maps points of E' onto E (y^2 = x^3 + eb) and respects the group law."""
    isoF = conv_iso(F, iso)
    for _ in range(4):
        P, Q = rand_point(F, a, b), rand_point(F, a, b)
        iP, iQ, iPQ = iso_map(F, isoF, P), iso_map(F, isoF, Q), iso_map(F, isoF, ec_add(F, a, P, Q))
        assert on_curve(F, F.zero, eb, iP) and on_curve(F, F.zero, eb, iQ)
        assert ec_add(F, F.zero, iP, iQ) == iPQ
        assert iso_map(F, isoF, (P[0], F.neg(P[1]))) == (iP[0], F.neg(iP[1]))
        assert iso_map(F, isoF, ec_add(F, a, P, P)) == ec_add(F, F.zero, iP, iP)

def check_z(F, a, b, Z):
    """RFC 9380 §6.6.2 criteria on Z that decide correctness of the straight-line map:
    Z non-square, Z != -1, g(B/(Z A)) square (the exceptional case u = 0 relies on it)."""
    assert not F.is_sq(Z)
    assert Z != F.neg(F.one)
    x = F.mul(b, F.inv(F.mul(Z, a)))
    assert F.is_sq(F.add(F.add(F.mul(F.mul(x, x), x), F.mul(a, x)), b))

check_isogeny(Fp1, ISO1_A, ISO1_B, E1_B, ISO1)
check_isogeny(Fp2, ISO2_A, ISO2_B, E2_B, ISO2)
check_z(Fp1, ISO1_A, ISO1_B, ISO1_Z)
check_z(Fp2, ISO2_A, ISO2_B, ISO2_Z)

# ---- sqrt_ratio constants (Appendix F.2.1.2 for Fp, F.2.1.1 for Fp2) ------------------
assert p % 4 == 3
G1_C1 = (p - 3) // 4                        # exponent of F.2.1.2
G1_C2 = sqrt_any(Fp1, -ISO1_Z % p)          # sqrt(-Z)
assert G1_C2 * G1_C2 % p == -ISO1_Z % p
q = p * p
G2_C1 = 3                                   # 2^3 || q - 1
assert (q - 1) % 2**G2_C1 == 0 and ((q - 1) >> G2_C1) % 2 == 1
G2_C2 = (q - 1) >> G2_C1
G2_C3 = (G2_C2 - 1) // 2
G2_C6 = f2pow(ISO2_Z, G2_C2)
G2_C7 = f2pow(ISO2_Z, (G2_C2 + 1) // 2)
# c3 = (q - 9)/16 through Frobenius: with k = (p - 11)/16, c3 = k p + 11 k + 7, so
# a^c3 = conj(a^k) * (a^k)^11 * a^7: one 377-bit exponentiation instead of a 758-bit one.
assert p % 16 == 11
G2_K = (p - 11) // 16
assert G2_C3 == G2_K * p + 11 * G2_K + 7
a_t = (rng.randrange(p), rng.randrange(p))
t = f2pow(a_t, G2_K)
assert f2pow(a_t, G2_C3) == f2mul(f2mul(f2conj(t), f2pow(t, 11)), f2pow(a_t, 7))

# ---- the [|z|] chain of src/bls/ec_impl.h: on E2 its additions acc + Q (acc = [m]Q) never
# meet acc = Q != O, because that needs ord(Q) | m - 1 and gcd(m - 1, #E2(Fp2)) = 1. On E1
# they can (11 | 12 - 1 and 3 | 230901736800256 - 1 divide #E1), so the chain's addition
# handles acc = Q itself; this check documents that E2 never needs it.
import math
Z_ABS = 0xd201000000010000
R_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
H2_COFACTOR = int("5d543a95414e7f1091d50792876a202cd91de4547085abaa68a205b2e5a7ddfa628f1cb4d9e82ef"
                  "21537e293a6691ae1616ec6e786f0c70cf1c38e31c7238e5", 16)
_Q = rand_point(Fp2, Fp2.zero, E2_B)
_acc = None
for _bit in bin(H2_COFACTOR * R_ORDER)[2:]:  # #E2(Fp2) = h2 * r kills a random point
    _acc = ec_add(Fp2, Fp2.zero, _acc, _acc)
    if _bit == "1":
        _acc = ec_add(Fp2, Fp2.zero, _acc, _Q)
assert _acc is None
assert abs(p * p + 1 - H2_COFACTOR * R_ORDER) <= 2 * p  # Hasse bound over Fp2
_m, _adds = 1, []
for _b in range(62, -1, -1):
    _m *= 2
    if (Z_ABS >> _b) & 1:
        _adds.append(_m)
        _m += 1
assert _m == Z_ABS and _adds == [2, 12, 104, 53760, 230901736800256]
assert all(math.gcd(m - 1, H2_COFACTOR * R_ORDER) == 1 for m in _adds)

# ---- fixed exponentiation chains (sliding window) -------------------------------------
def make_chain(e, w):
    """Left-to-right sliding window: [(squarings, odd digit)], first entry's squarings 0.
    A final (squarings, 0) entry carries trailing squarings without a multiplication."""
    bits = bin(e)[2:]
    steps, i, pending = [], 0, 0
    while i < len(bits):
        if bits[i] == "0":
            pending += 1
            i += 1
            continue
        j = min(i + w, len(bits))
        while bits[j - 1] == "0":
            j -= 1
        digit = int(bits[i:j], 2)
        steps.append((pending + (j - i) if steps else 0, digit))
        pending, i = 0, j
    if pending:
        steps.append((pending, 0))
    return steps

def chain_value(steps):
    acc = 0
    for sq, d in steps:
        acc = (acc << sq) + d
    return acc

def chain_cost(steps, w, sqr_cost, mul_cost):
    table = sqr_cost + (2**(w - 1) - 1) * mul_cost
    sq = sum(s for s, _ in steps)
    mu = sum(1 for s, d in steps if d) - 1
    return table + sq * sqr_cost + mu * mul_cost

def best_chain(e, sqr_cost, mul_cost):
    best = None
    for w in range(2, 8):
        steps = make_chain(e, w)
        assert chain_value(steps) == e
        c = chain_cost(steps, w, sqr_cost, mul_cost)
        if best is None or c < best[0]:
            best = (c, w, steps)
    return best[1], best[2]

# One chain serves both fields: (p-3)/4 = 4k + 2, so a^((p-3)/4) = (a^k)^4 * a^2.
assert G1_C1 == 4 * G2_K + 2
CHAIN_W, CHAIN = best_chain(G2_K, 2.0, 3.0)
CHAIN_W = max(CHAIN_W, 3)  # the Fp2 sqrt_ratio takes a^7 from the odd-power table
CHAIN = make_chain(G2_K, CHAIN_W)
assert chain_value(CHAIN) == G2_K

def chain_pow(F, a, steps, w):
    tbl = [a]
    a2 = F.mul(a, a)
    for _ in range(2**(w - 1) - 1):
        tbl.append(F.mul(tbl[-1], a2))
    acc = tbl[steps[0][1] >> 1]
    for sq, d in steps[1:]:
        for _ in range(sq):
            acc = F.mul(acc, acc)
        if d:
            acc = F.mul(acc, tbl[d >> 1])
    return acc, tbl

# ---- model of the C code: optimized SSWU (Appendix F.2) with its sqrt_ratio ----------
def sqrt_ratio_fp(u, v):
    tv1 = v * v % p
    tv2 = u * v % p
    tv1 = tv1 * tv2 % p
    t, tbl = chain_pow(Fp1, tv1, CHAIN, CHAIN_W)
    y1 = pow(t, 4, p) * tv1 * tv1 % p
    y1 = y1 * tv2 % p
    y2 = y1 * G1_C2 % p
    is_qr = (y1 * y1 % p) * v % p == u
    return is_qr, (y1 if is_qr else y2)

def sqrt_ratio_fp2(u, v):
    tv1 = G2_C6
    tv2 = f2pow(v, 7)
    tv3 = f2mul(f2mul(tv2, tv2), v)
    tv5 = f2mul(u, tv3)
    t, tbl = chain_pow(Fp2, tv5, CHAIN, CHAIN_W)
    tv5 = f2mul(f2mul(f2conj(t), f2pow(t, 11)), tbl[3])
    tv5 = f2mul(tv5, tv2)
    tv2 = f2mul(tv5, v)
    tv3 = f2mul(tv5, u)
    tv4 = f2mul(tv3, tv2)
    is_qr = f2pow(tv4, 4) == (1, 0)
    tv3 = tv3 if is_qr else f2mul(tv3, G2_C7)
    tv4 = tv4 if is_qr else f2mul(tv4, tv1)
    for i in range(G2_C1, 1, -1):
        e1 = f2pow(tv4, 2**(i - 2)) == (1, 0)
        tv2 = f2mul(tv3, tv1)
        tv1 = f2mul(tv1, tv1)
        tv5 = f2mul(tv4, tv1)
        tv3 = tv3 if e1 else tv2
        tv4 = tv4 if e1 else tv5
    return is_qr, tv3

def sswu(F, a, b, Z, sqrt_ratio, u):
    tv1 = F.mul(Z, F.mul(u, u))
    tv2 = F.add(F.mul(tv1, tv1), tv1)
    tv3 = F.mul(b, F.add(tv2, F.one))
    tv4 = F.mul(a, Z if tv2 == F.zero else F.neg(tv2))
    tv6 = F.mul(tv4, tv4)
    gxn = F.mul(F.add(F.mul(tv3, tv3), F.mul(a, tv6)), tv3)
    tv6 = F.mul(tv6, tv4)
    gxn = F.add(gxn, F.mul(b, tv6))
    x = F.mul(tv1, tv3)
    is_sq, y1 = sqrt_ratio(gxn, tv6)
    y = F.mul(F.mul(tv1, u), y1)
    if is_sq:
        x, y = tv3, y1
    if F.sgn0(u) != F.sgn0(y):
        y = F.neg(y)
    return (F.mul(x, F.inv(tv4)), y)

def map_g1(u):
    P = sswu(Fp1, ISO1_A, ISO1_B, ISO1_Z, sqrt_ratio_fp, u)
    assert on_curve(Fp1, ISO1_A, ISO1_B, P)
    return iso_map(Fp1, ISO1, P)

def map_g2(u):
    P = sswu(Fp2, ISO2_A, ISO2_B, ISO2_Z, sqrt_ratio_fp2, u)
    assert on_curve(Fp2, ISO2_A, ISO2_B, P)
    return iso_map(Fp2, ISO2, P)

def parse_fp(s): return int(s, 16)
def parse_fp2(s):
    a, b = s.split(",")
    return (int(a, 16), int(b, 16))

def check_vectors():
    count = 0
    for curve, parse, mapf in (("G1", parse_fp, map_g1), ("G2", parse_fp2, map_g2)):
        for suite in ("RO", "NU"):
            path = os.path.join(VEC_DIR, "BLS12381%s_XMD-SHA-256_SSWU_%s_.json" % (curve, suite))
            with open(path) as f:
                doc = json.load(f)
            for v in doc["vectors"]:
                names = ["Q0", "Q1"] if suite == "RO" else ["Q"]
                for u, name in zip(v["u"], names):
                    want = (parse(v[name]["x"]), parse(v[name]["y"]))
                    assert mapf(parse(u)) == want, (curve, suite, v["msg"])
                    count += 1
    assert count == 30
    # Edge inputs of the straight-line map: u = 0 takes the exceptional branch.
    for mapf, F in ((map_g1, Fp1), (map_g2, Fp2)):
        for u in (F.zero, F.one, F.neg(F.one)):
            P = mapf(u)
            assert P is not None

check_vectors()
# sqrt_ratio against its definition on random inputs (both branches).
for F, sr, Z in ((Fp1, sqrt_ratio_fp, ISO1_Z), (Fp2, sqrt_ratio_fp2, ISO2_Z)):
    Zc = F.conv(Z)
    for _ in range(8):
        u, v = F.rand(), F.rand()
        ok, y = sr(u, v)
        ratio = F.mul(u, F.inv(v))
        assert ok == F.is_sq(ratio)
        assert F.mul(y, y) == (ratio if ok else F.mul(Zc, ratio))

# ---- output --------------------------------------------------------------------------
def limbs(x, n=6):
    return "{" + ", ".join("0x%016xULL" % ((x >> (64 * i)) & (2**64 - 1)) for i in range(n)) + "}"
def fp_c(x): return "{" + limbs(x % p * R % p) + "}"
def fp2_c(a): return "{" + fp_c(a[0]) + ", " + fp_c(a[1]) + "}"

def emit_array(ctype, name, items, conv):
    print("const %s %s[%d] = {" % (ctype, name, len(items)))
    for it in items:
        print("    %s," % conv(it))
    print("};")

def emit_chain(name, steps, len_name):
    print("const h2c_chain_step %s[%s] = {" % (name, len_name))
    line = "   "
    for sq, d in steps:
        item = " {%d, %d}," % (sq, d)
        if len(line) + len(item) > 96:
            print(line)
            line = "   "
        line += item
    print(line)
    print("};")

print("/* h2c_constants.c — GENERATED by tools/gen_h2c_constants.py; do not edit by hand.")
print(" * RFC 9380 hash-to-curve constants for BLS12-381 (§8.8.1, §8.8.2, Appendix E.2, E.3,")
print(" * F.2.1), in Montgomery form; each is checked by the generator against its defining")
print(" * property and against the map_to_curve test vectors. Immutable tables only. */")
print('#include "bls/internal.h"\n')
print("/* E1': y^2 = x^3 + A'x + B' (11-isogenous to E1), SSWU Z = 11. */")
print("const fp H2C_G1_A = %s;" % fp_c(ISO1_A))
print("const fp H2C_G1_B = %s;" % fp_c(ISO1_B))
print("const fp H2C_G1_B3 = %s; /* 3B' */" % fp_c(3 * ISO1_B))
print("const fp H2C_G1_Z = %s;" % fp_c(ISO1_Z))
print("const fp H2C_G1_SQRT_MINUS_Z = %s; /* c2 of F.2.1.2 */" % fp_c(G1_C2))
print("/* 11-isogeny, ascending k_(j,0..d); x_den and y_den are monic (leading 1 not stored). */")
emit_array("fp", "H2C_G1_XNUM", K1, fp_c)
emit_array("fp", "H2C_G1_XDEN", K2, fp_c)
emit_array("fp", "H2C_G1_YNUM", K3, fp_c)
emit_array("fp", "H2C_G1_YDEN", K4, fp_c)
print("/* E2': A' = 240u, B' = 1012(1+u), SSWU Z = -(2+u). */")
print("const fp2 H2C_G2_A = %s;" % fp2_c(ISO2_A))
print("const fp2 H2C_G2_B = %s;" % fp2_c(ISO2_B))
print("const fp2 H2C_G2_B3 = %s; /* 3B' */" % fp2_c((3 * ISO2_B[0], 3 * ISO2_B[1])))
print("const fp2 H2C_G2_Z = %s;" % fp2_c(ISO2_Z))
print("/* F.2.1.1 with q = p^2, c1 = 3: c6 = Z^c2, c7 = Z^((c2+1)/2), c2 = (q-1)/8. */")
print("const fp2 H2C_G2_C6 = %s;" % fp2_c(G2_C6))
print("const fp2 H2C_G2_C7 = %s;" % fp2_c(G2_C7))
print("/* 3-isogeny, ascending; x_den and y_den monic. */")
emit_array("fp2", "H2C_G2_XNUM", ISO2[0], fp2_c)
emit_array("fp2", "H2C_G2_XDEN", ISO2[1], fp2_c)
emit_array("fp2", "H2C_G2_YNUM", ISO2[2], fp2_c)
emit_array("fp2", "H2C_G2_YDEN", ISO2[3], fp2_c)
print("/* Sliding-window chain {squarings, odd digit} for k = (p-11)/16, window %d" % CHAIN_W)
print("   (digit 0: squarings only); sqrt_ratio exponents are derived from a^k. */")
emit_chain("H2C_SQRT_CHAIN", CHAIN, "H2C_SQRT_CHAIN_LEN")
print("_Static_assert(H2C_SQRT_CHAIN_LEN == %d, \"regenerate: chain length\");" % len(CHAIN))
print("_Static_assert(H2C_SQRT_CHAIN_WINDOW == %d, \"regenerate: chain window\");" % CHAIN_W)
