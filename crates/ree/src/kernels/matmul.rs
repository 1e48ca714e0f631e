//! Matrix multiply: the scalar reference and the packed, register-tiled, threaded fast path.
//!
//! **Canonical order.** `C[i, j]` is one FMA chain over `k = 0..K` in ascending order:
//! `acc = +0.0; for k in 0..K { acc = fma(A[i,k], B[k,j], acc) }; C[i,j] = acc`, with `fma`
//! rounding once (`f32::mul_add` in the reference, `vfmadd` in SIMD). `K` is never split or
//! reordered; blocking over `K` only stores the running accumulator in `C` and loads it back,
//! which does not change its bits. Threads split rows of `C` only.
//!
//! Inputs are strided views ([`MatRef`]) so the transposed forms backward needs (`A·Bᵀ`, `Aᵀ·B`)
//! and per-head slices of attention run through the same kernels without copies.

use rayon::prelude::*;

use super::matmul_simd as simd;
use super::matmul_small::small;
use super::{Exec, Isa};

/// A read-only strided matrix view: element `(i, k)` is `data[i * rs + k * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    /// The backing storage.
    pub data: &'a [f32],
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows × cols` matrix (optionally read as its transpose).
    pub fn row_major(data: &'a [f32], cols: usize, transposed: bool) -> MatRef<'a> {
        if transposed {
            MatRef {
                data,
                rs: 1,
                cs: cols,
            }
        } else {
            MatRef {
                data,
                rs: cols,
                cs: 1,
            }
        }
    }

    #[inline(always)]
    pub(crate) fn at(&self, i: usize, k: usize) -> f32 {
        self.data[i * self.rs + k * self.cs]
    }
}

/// Reference matmul: `c[m × n] = a[m × k] · b[k × n]` in the canonical order (module docs).
///
/// The same plain loop is compiled twice; on CPUs with FMA the copy built with the `fma`
/// target feature runs (`f32::mul_add` then becomes one `vfmadd` instead of a call to the C
/// library's `fmaf`; both are the exactly rounded fused multiply-add, so the bits are equal).
pub fn matmul_ref(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::has_avx2() {
        // SAFETY: has_avx2() checked AVX2 and FMA on this CPU.
        return unsafe { matmul_ref_fma(m, n, k, a, b, c) };
    }
    matmul_ref_loop(m, n, k, a, b, c)
}

/// # Safety
/// The CPU must support FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn matmul_ref_fma(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32]) {
    matmul_ref_loop(m, n, k, a, b, c)
}

#[inline(always)]
fn matmul_ref_loop(m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32]) {
    for i in 0..m {
        let row = &mut c[i * n..(i + 1) * n];
        row.fill(0.0);
        // Loop order (p outer, j inner) keeps each element's chain in ascending k.
        for p in 0..k {
            let aip = a.at(i, p);
            for (j, cj) in row.iter_mut().enumerate() {
                *cj = aip.mul_add(b.at(p, j), *cj);
            }
        }
    }
}

/// Matmul with the implementation `exec` selects; bit-identical to [`matmul_ref`].
pub(crate) fn matmul(
    exec: &Exec,
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: &mut [f32],
) {
    let c = &mut c[..m * n];
    if exec.isa() == Isa::Scalar {
        return matmul_ref(m, n, k, a, b, c);
    }
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(0.0);
        return;
    }
    if (m as u64) * (n as u64) * (k as u64) <= SMALL_MNK {
        return small(exec.isa(), m, n, k, a, b, c);
    }
    packed(exec, m, n, k, a, b, c);
}

/// Below this many multiply-adds, packing costs more than it saves: use [`small`].
const SMALL_MNK: u64 = 1 << 18;

const KC: usize = 256;
const MC_MAX: usize = 240;
const PORTABLE_MR: usize = 4;
const PORTABLE_NR: usize = 8;

fn tile_dims(isa: Isa) -> (usize, usize) {
    match isa {
        Isa::Avx512 => (simd::AVX512_MR, simd::AVX512_NR),
        Isa::Avx2 => (simd::AVX2_MR, simd::AVX2_NR),
        Isa::Portable | Isa::Scalar => (PORTABLE_MR, PORTABLE_NR),
    }
}

fn packed(exec: &Exec, m: usize, n: usize, k: usize, a: MatRef, b: MatRef, c: &mut [f32]) {
    let isa = exec.isa();
    let (mr, nr) = tile_dims(isa);
    let npanels = n.div_ceil(nr);
    let threaded = exec.parallel() && (m as u64) * (n as u64) * (k as u64) >= 1 << 18;
    let tasks = if threaded {
        // A multiple of the thread count, at least four per thread, so work stealing can
        // balance a thread the OS slows down.
        let t = exec.threads();
        t * m.div_ceil(t * MC_MAX).max(4)
    } else {
        m.div_ceil(MC_MAX)
    };
    let mc = m.div_ceil(tasks.max(1)).div_ceil(mr) * mr;
    with_scratch(&PACK_B, |bp| {
        packed_with(exec, m, n, k, a, b, c, bp, (mr, nr, mc, npanels, threaded))
    });
}

/// Runs `f` with this thread's reusable buffer from `cell`, or with a fresh one if the buffer
/// is already in use further up this thread's stack (never a panic).
fn with_scratch<R>(
    cell: &'static std::thread::LocalKey<std::cell::RefCell<Vec<f32>>>,
    f: impl FnOnce(&mut Vec<f32>) -> R,
) -> R {
    let mut f = Some(f);
    let reused = cell.with(|c| match c.try_borrow_mut() {
        Ok(mut buf) => Some((f.take().expect("f is taken once"))(&mut buf)),
        Err(_) => None,
    });
    match reused {
        Some(r) => r,
        None => (f.take().expect("f was not used"))(&mut Vec::new()),
    }
}

thread_local! {
    /// Packing buffers reused across calls on the same thread (no allocation or page faults in
    /// the steady state). Every entry a kernel reads is written by the packers first.
    static PACK_A: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    static PACK_B: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Grows `buf` to at least `len` elements and returns that prefix.
fn scratch(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// The packed path in two parallel phases (two synchronisation points per call, so a thread
/// that the OS deschedules delays the others little, and idle threads steal row blocks):
/// 1. pack all of `B` (every `k` block, every `NR`-column panel);
/// 2. for each block of `mc` rows of `C` (one task each): for each `k` block in ascending order
///    (so every element's chain stays in order), pack that part of `A` and run the tiles.
#[allow(clippy::too_many_arguments)]
fn packed_with(
    exec: &Exec,
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: &mut [f32],
    bp: &mut Vec<f32>,
    (mr, nr, mc, npanels, threaded): (usize, usize, usize, usize, bool),
) {
    let isa = exec.isa();
    let _ = m;
    // Block q (depth q*KC..) starts at q*KC*npanels*nr; panel jp of it at + jp*kc*nr.
    let bp = scratch(bp, npanels * k * nr);
    let mut panels: Vec<(usize, usize, usize, &mut [f32])> = Vec::new();
    for (q, blk) in bp.chunks_mut(KC * npanels * nr).enumerate() {
        let kc = blk.len() / (npanels * nr);
        for (jp, panel) in blk.chunks_exact_mut(kc * nr).enumerate() {
            panels.push((q * KC, kc, jp, panel));
        }
    }
    let pack = |(pc, kc, jp, panel): (usize, usize, usize, &mut [f32])| {
        pack_b_panel(b, pc, kc, n, nr, jp, panel)
    };
    if threaded {
        exec.install(|| panels.into_par_iter().for_each(pack));
    } else {
        panels.into_iter().for_each(pack);
    }
    let bp = &*bp;
    let block = |(bi, cblk): (usize, &mut [f32])| {
        let i0 = bi * mc;
        let mb = cblk.len() / n;
        let mpanels = mb.div_ceil(mr);
        with_scratch(&PACK_A, |ap| {
            let mut pc = 0;
            while pc < k {
                let kc = KC.min(k - pc);
                let bq = &bp[pc * npanels * nr..(pc + kc) * npanels * nr];
                let ap = scratch(ap, mpanels * kc * mr);
                pack_a(a, i0, mb, pc, kc, mr, ap);
                for jp in 0..npanels {
                    let j0 = jp * nr;
                    let cols = nr.min(n - j0);
                    let bpan = &bq[jp * kc * nr..(jp + 1) * kc * nr];
                    for ip in 0..mpanels {
                        let r0 = ip * mr;
                        let rows = mr.min(mb - r0);
                        let apan = &ap[ip * kc * mr..(ip + 1) * kc * mr];
                        tile(isa, kc, apan, bpan, cblk, n, r0, j0, rows, cols, pc > 0);
                    }
                }
                pc += kc;
            }
        });
    };
    if threaded {
        exec.install(|| c.par_chunks_mut(mc * n).enumerate().for_each(block));
    } else {
        c.chunks_mut(mc * n).enumerate().for_each(block);
    }
}

/// Packs rows `i0..i0+mb`, depth `pc..pc+kc` of `a` into `MR`-row micro-panels (k-major),
/// zero-padding the last panel's missing rows.
fn pack_a(a: MatRef, i0: usize, mb: usize, pc: usize, kc: usize, mr: usize, ap: &mut [f32]) {
    for (ip, panel) in ap.chunks_exact_mut(kc * mr).enumerate() {
        let r0 = ip * mr;
        let rows = mr.min(mb - r0);
        if a.rs == 1 && rows == mr {
            // Transposed storage: the panel's MR values for one k are contiguous.
            for (p, dst) in panel.chunks_exact_mut(mr).enumerate() {
                let s = (pc + p) * a.cs + i0 + r0;
                dst.copy_from_slice(&a.data[s..s + mr]);
            }
            continue;
        }
        for r in 0..mr {
            if r < rows {
                let i = i0 + r0 + r;
                if a.cs == 1 {
                    let src = &a.data[i * a.rs + pc..i * a.rs + pc + kc];
                    for (dst, &v) in panel.chunks_exact_mut(mr).zip(src) {
                        dst[r] = v;
                    }
                } else {
                    for (p, dst) in panel.chunks_exact_mut(mr).enumerate() {
                        dst[r] = a.at(i, pc + p);
                    }
                }
            } else {
                for dst in panel.chunks_exact_mut(mr) {
                    dst[r] = 0.0;
                }
            }
        }
    }
}

/// Packs depth `pc..pc+kc`, columns `jp*NR..` of `b` into one `NR`-column micro-panel (k-major),
/// zero-padding the last panel's missing columns.
fn pack_b_panel(
    b: MatRef,
    pc: usize,
    kc: usize,
    n: usize,
    nr: usize,
    jp: usize,
    panel: &mut [f32],
) {
    {
        let j0 = jp * nr;
        let w = nr.min(n - j0);
        if b.cs == 1 {
            for (p, dst) in panel.chunks_exact_mut(nr).enumerate() {
                let s = (pc + p) * b.rs + j0;
                dst[..w].copy_from_slice(&b.data[s..s + w]);
                dst[w..].fill(0.0);
            }
        } else {
            for j in 0..nr {
                if j < w && b.rs == 1 {
                    // Transposed storage: column j0+j is contiguous over k.
                    let s = (j0 + j) * b.cs + pc;
                    for (dst, &v) in panel.chunks_exact_mut(nr).zip(&b.data[s..s + kc]) {
                        dst[j] = v;
                    }
                } else if j < w {
                    for (p, dst) in panel.chunks_exact_mut(nr).enumerate() {
                        dst[j] = b.at(pc + p, j0 + j);
                    }
                } else {
                    for dst in panel.chunks_exact_mut(nr) {
                        dst[j] = 0.0;
                    }
                }
            }
        }
    }
}

/// Runs one `rows × cols` tile at `(r0, j0)` of the row-major block `c` (row stride `ldc`).
/// Full tiles run in place; edge tiles go through a padded scratch tile.
#[allow(clippy::too_many_arguments)]
fn tile(
    isa: Isa,
    kc: usize,
    ap: &[f32],
    bp: &[f32],
    c: &mut [f32],
    ldc: usize,
    r0: usize,
    j0: usize,
    rows: usize,
    cols: usize,
    load: bool,
) {
    let (mr, nr) = tile_dims(isa);
    if rows == mr && cols == nr {
        let off = r0 * ldc + j0;
        let need = (mr - 1) * ldc + nr;
        ukernel(isa, kc, ap, bp, &mut c[off..off + need], ldc, load);
    } else {
        let mut t = [0.0f32; simd::AVX512_MR * simd::AVX512_NR];
        let t = &mut t[..mr * nr];
        if load {
            for r in 0..rows {
                let s = (r0 + r) * ldc + j0;
                t[r * nr..r * nr + cols].copy_from_slice(&c[s..s + cols]);
            }
        }
        ukernel(isa, kc, ap, bp, t, nr, load);
        for r in 0..rows {
            let s = (r0 + r) * ldc + j0;
            c[s..s + cols].copy_from_slice(&t[r * nr..r * nr + cols]);
        }
    }
}

/// One full `MR × NR` tile; `c` holds rows `0..MR` at stride `ldc` (at least `(MR-1)*ldc+NR`).
fn ukernel(isa: Isa, kc: usize, ap: &[f32], bp: &[f32], c: &mut [f32], ldc: usize, load: bool) {
    let (mr, nr) = tile_dims(isa);
    assert!(
        ap.len() >= kc * mr && bp.len() >= kc * nr && c.len() > (mr - 1) * ldc + nr - 1,
        "matmul tile buffers are sized by the driver"
    );
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Isa::Avx512 is only chosen after detecting AVX-512F; the assert above
        // guarantees the pointer ranges the kernel reads and writes.
        Isa::Avx512 => unsafe {
            simd::ukernel_avx512(kc, ap.as_ptr(), bp.as_ptr(), c.as_mut_ptr(), ldc, load)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Isa::Avx2 is only chosen after detecting AVX2+FMA; ranges as above.
        Isa::Avx2 => unsafe {
            simd::ukernel_avx2(kc, ap.as_ptr(), bp.as_ptr(), c.as_mut_ptr(), ldc, load)
        },
        _ => ukernel_portable(kc, ap, bp, c, ldc, load),
    }
}

/// Portable `4 × 8` microkernel with explicit `f32::mul_add` (same chains as the SIMD ones).
fn ukernel_portable(kc: usize, ap: &[f32], bp: &[f32], c: &mut [f32], ldc: usize, load: bool) {
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    let mut acc = [[0.0f32; NR]; MR];
    if load {
        for (r, row) in acc.iter_mut().enumerate() {
            row.copy_from_slice(&c[r * ldc..r * ldc + NR]);
        }
    }
    for p in 0..kc {
        let b = &bp[p * NR..(p + 1) * NR];
        let a = &ap[p * MR..(p + 1) * MR];
        for (r, row) in acc.iter_mut().enumerate() {
            for (x, &bj) in row.iter_mut().zip(b) {
                *x = a[r].mul_add(bj, *x);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        c[r * ldc..r * ldc + NR].copy_from_slice(row);
    }
}

#[cfg(test)]
mod tests {
    use super::super::KernelChoice;
    use super::*;

    fn data(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0 + 1e-3
            })
            .collect()
    }

    #[test]
    fn reference_is_the_documented_chain() {
        let (m, n, k) = (3, 5, 7);
        let a = data(m * k, 1);
        let b = data(k * n, 2);
        let mut c = vec![0.0; m * n];
        matmul_ref(
            m,
            n,
            k,
            MatRef::row_major(&a, k, false),
            MatRef::row_major(&b, n, false),
            &mut c,
        );
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f32;
                for p in 0..k {
                    acc = a[i * k + p].mul_add(b[p * n + j], acc);
                }
                assert_eq!(acc.to_bits(), c[i * n + j].to_bits());
            }
        }
    }

    #[test]
    fn fast_paths_match_reference_with_transposes() {
        let shapes = [
            (1, 1, 1),
            (7, 63, 65),
            (65, 7, 300),
            (13, 1000, 3),
            (33, 40, 513),
        ];
        for &(m, n, k) in &shapes {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = data(m * k, (m + k) as u32);
                    let b = data(k * n, (n * 3 + k) as u32);
                    let av = MatRef::row_major(&a, if ta { m } else { k }, ta);
                    let bv = MatRef::row_major(&b, if tb { k } else { n }, tb);
                    let mut want = vec![0.0; m * n];
                    matmul_ref(m, n, k, av, bv, &mut want);
                    for kc in Exec::available_kernels() {
                        for threads in [1, 2, 4] {
                            let e = Exec::new(kc, threads).unwrap();
                            let mut got = vec![f32::NAN; m * n];
                            matmul(&e, m, n, k, av, bv, &mut got);
                            assert!(
                                want.iter()
                                    .zip(&got)
                                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                                "{} t{threads} {m}x{n}x{k} ta={ta} tb={tb}",
                                e.kernel_name()
                            );
                        }
                    }
                }
            }
        }
        let _ = KernelChoice::Auto;
    }
}
