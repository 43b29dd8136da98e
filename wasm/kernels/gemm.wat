;; gemm.wat: the SIMD matrix kernel of lrp/gemm.go, for the js/wasm build.
;;
;; Go's wasm port emits no SIMD instructions, so the engine's hot product
;; is written here by hand in 128-bit WebAssembly SIMD and assembled by
;; wat2wasm (scripts/build.sh) into web/kernels.wasm. The module owns no
;; memory: it imports the Go instance's linear memory, and Go passes it the
;; addresses of slices it holds (lrp/simd_wasm.go, //go:wasmimport lrpsimd
;; macro); web/lrp.js instantiates it after the Go instance and forwards
;; Go's calls to it.
;;
;; One call multiplies one packed block, as lrp's macro does: a, mb rows
;; packed by packA in row pairs (pair r at a + 8·kp·r bytes, depth t of row
;; 2r+i at + 8t + 4i), times b, nf columns packed by packB in panels of 4
;; (panel q at b + 16·kp·q, depth t of column 4q+j at + 16t + 4j), both kp
;; deep, into c (row i at c + 4·ldc·i):
;;
;;   c[i][j] = (Σ_t a[t][i]·b[t][j] + bias[i])  (+ c[i][j] when add is set)
;;
;; with bias[i] = 0 when bias is 0 (the null pointer). Each sum runs over
;; t in order in float32, f32x4.mul then f32x4.add (no fused multiply-add),
;; so every element equals the pure-Go kernel's (lrp/kernel_wasm.go) to
;; the bit.
;;
;; The register tile is 4 rows × 8 columns: eight f32x4 sums, two vectors
;; of b and one broadcast of a fit the 16 xmm registers that V8 allocates
;; on x64. Measured under Node 20 (GFLOP/s of CPU time, medians of 11
;; interleaved rounds, the ResNet-18 shapes 64×3136×576, 512×49×4608,
;; 576×3136×64): 4×8 26.8, 22.3, 21.3; 2×16 26.8, 24.9, 25.1; 2×8 22.9,
;; 21.0, 20.0; 4×4 21.4, 18.5, 18.5; 6×8 21.2, 18.8, 17.5; 8×8 18.4, 16.6,
;; 14.0 (its 16 sums spill); 4×8 unrolled twice in depth 22.5 (TurboFan
;; hoists both depths' loads and spills). The pure-Go 2×4 kernel: 5.6.
;;
;; Columns are the outer loop and rows the inner one: the 8 columns of b
;; (kp·32 bytes, 8 KiB at kp = 256) stay in the L1 cache while the block
;; of a (up to 64 KiB) streams from L2. A last pair of rows, or a last
;; panel of 4 columns, runs through the same tile with the missing pair or
;; panel read twice and not stored.

(module
  (import "env" "mem" (memory 1))

  ;; macro sets (or adds to) c = a·b + bias over mb rows and nf columns
  ;; (a multiple of 4), kp deep (at least 1); see the top of the file.
  (func (export "macro")
    (param $a i32) (param $b i32) (param $mb i32) (param $nf i32) (param $kp i32)
    (param $c i32) (param $ldc i32) (param $add i32) (param $bias i32)
    (local $i i32) (local $j i32)
    (local $pair i32)   ;; bytes of a packed row pair, 8·kp
    (local $panel i32)  ;; bytes of a packed column panel, 16·kp
    (local $b0 i32) (local $b1 i32) (local $a0 i32) (local $a1 i32) (local $cols i32)
    (local.set $pair (i32.shl (local.get $kp) (i32.const 3)))
    (local.set $panel (i32.shl (local.get $kp) (i32.const 4)))
    (block $done
      (loop $columns
        (br_if $done (i32.ge_s (local.get $j) (local.get $nf)))
        ;; panels j/4 and j/4 + 1, or panel j/4 twice at the last 4 columns
        (local.set $b0 (i32.add (local.get $b) (i32.mul (i32.shr_u (local.get $j) (i32.const 2)) (local.get $panel))))
        (local.set $cols (i32.const 8))
        (local.set $b1 (i32.add (local.get $b0) (local.get $panel)))
        (if (i32.gt_s (i32.add (local.get $j) (i32.const 8)) (local.get $nf))
          (then
            (local.set $cols (i32.const 4))
            (local.set $b1 (local.get $b0))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $mb)))
            ;; pairs i/2 and i/2 + 1, or pair i/2 twice at the last two rows
            (local.set $a0 (i32.add (local.get $a) (i32.mul (i32.shr_u (local.get $i) (i32.const 1)) (local.get $pair))))
            (local.set $a1 (i32.add (local.get $a0) (local.get $pair)))
            (if (i32.le_s (local.get $mb) (i32.add (local.get $i) (i32.const 2)))
              (then (local.set $a1 (local.get $a0))))
            (call $tile
              (local.get $a0) (local.get $a1) (local.get $b0) (local.get $b1) (local.get $kp)
              (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2)))
              (i32.shl (local.get $ldc) (i32.const 2))
              (local.get $add)
              (select
                (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2)))
                (i32.const 0)
                (local.get $bias))
              (i32.sub (local.get $mb) (local.get $i))
              (local.get $cols))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $columns))))

  ;; packb copies np panels of 4 columns of b, kb rows (at least 1) ldb
  ;; floats apart, to bp as packB lays them out (panel q at bp + 16·kp·q,
  ;; depth t at + 16t), with the depths kb ≤ t < kp zero: one 16-byte load
  ;; and store per depth where Go's wasm moves 4 floats one by one.
  (func (export "packb")
    (param $bp i32) (param $b i32) (param $ldb i32) (param $kb i32) (param $kp i32) (param $np i32)
    (local $q i32) (local $src i32) (local $dst i32) (local $end i32) (local $ldb4 i32) (local $pad i32)
    (local.set $ldb4 (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $pad (i32.shl (i32.sub (local.get $kp) (local.get $kb)) (i32.const 4)))
    (block $done
      (loop $panels
        (br_if $done (i32.ge_u (local.get $q) (local.get $np)))
        (local.set $src (i32.add (local.get $b) (i32.shl (local.get $q) (i32.const 4))))
        (local.set $dst (i32.add (local.get $bp) (i32.mul (local.get $q) (i32.shl (local.get $kp) (i32.const 4)))))
        (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $kb) (i32.const 4))))
        (loop $depth
          (v128.store (local.get $dst) (v128.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (local.get $ldb4)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (br_if $depth (i32.lt_u (local.get $dst) (local.get $end))))
        (local.set $end (i32.add (local.get $end) (local.get $pad)))
        (block $zeroed
          (loop $zero
            (br_if $zeroed (i32.ge_u (local.get $dst) (local.get $end)))
            (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $zero)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $panels))))

  ;; tile computes the 4×8 tile of rows a0 (rows 0, 1) and a1 (rows 2, 3)
  ;; times columns b0 (0–3) and b1 (4–7), kp deep, and stores its first
  ;; `rows` rows (all four if more) and first `cols` columns (4 or 8) at c,
  ;; rows ldc4 bytes apart, adding bias (an address, or 0 for none) and,
  ;; with add, what c holds.
  (func $tile
    (param $a0 i32) (param $a1 i32) (param $b0 i32) (param $b1 i32) (param $kp i32)
    (param $c i32) (param $ldc4 i32) (param $add i32) (param $bias i32) (param $rows i32) (param $cols i32)
    (local $end i32) (local $x v128) (local $y0 v128) (local $y1 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $v v128) (local $wide i32)
    (local.set $wide (i32.eq (local.get $cols) (i32.const 8)))
    (local.set $end (i32.add (local.get $b0) (i32.shl (local.get $kp) (i32.const 4))))
    ;; s_rq += a[t][r] · b[t][4q…4q+3], one depth per iteration
    (loop $depth
      (local.set $y0 (v128.load (local.get $b0)))
      (local.set $y1 (v128.load (local.get $b1)))
      (local.set $x (v128.load32_splat (local.get $a0)))
      (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x) (local.get $y0))))
      (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x) (local.get $y1))))
      (local.set $x (v128.load32_splat offset=4 (local.get $a0)))
      (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x) (local.get $y0))))
      (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x) (local.get $y1))))
      (local.set $x (v128.load32_splat (local.get $a1)))
      (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $x) (local.get $y0))))
      (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $x) (local.get $y1))))
      (local.set $x (v128.load32_splat offset=4 (local.get $a1)))
      (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $x) (local.get $y0))))
      (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $x) (local.get $y1))))
      (local.set $a0 (i32.add (local.get $a0) (i32.const 8)))
      (local.set $a1 (i32.add (local.get $a1) (i32.const 8)))
      (local.set $b1 (i32.add (local.get $b1) (i32.const 16)))
      (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
      (br_if $depth (i32.lt_u (local.get $b0) (local.get $end))))
    ;; The stores, row by row while r < rows: (s + bias) + c with add,
    ;; s + bias without. Written out rather than called: TurboFan keeps a
    ;; value that lives across a call in memory, and spilled the sums in
    ;; the loop above (12% slower). Without a bias v stays +0, which the Go
    ;; kernel's zero bias adds too (turning a sum of −0 into +0 alike).
    ;; row 0
    (if (local.get $bias)
      (then (local.set $v (v128.load32_splat offset=0 (local.get $bias)))))
    (local.set $s00 (f32x4.add (local.get $s00) (local.get $v)))
    (local.set $s01 (f32x4.add (local.get $s01) (local.get $v)))
    (if (local.get $add)
      (then
        (local.set $s00 (f32x4.add (local.get $s00) (v128.load (local.get $c))))
        (if (local.get $wide)
          (then (local.set $s01 (f32x4.add (local.get $s01) (v128.load offset=16 (local.get $c))))))))
    (v128.store (local.get $c) (local.get $s00))
    (if (local.get $wide)
      (then (v128.store offset=16 (local.get $c) (local.get $s01))))
    (br_if 0 (i32.le_s (local.get $rows) (i32.const 1)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    ;; row 1
    (if (local.get $bias)
      (then (local.set $v (v128.load32_splat offset=4 (local.get $bias)))))
    (local.set $s10 (f32x4.add (local.get $s10) (local.get $v)))
    (local.set $s11 (f32x4.add (local.get $s11) (local.get $v)))
    (if (local.get $add)
      (then
        (local.set $s10 (f32x4.add (local.get $s10) (v128.load (local.get $c))))
        (if (local.get $wide)
          (then (local.set $s11 (f32x4.add (local.get $s11) (v128.load offset=16 (local.get $c))))))))
    (v128.store (local.get $c) (local.get $s10))
    (if (local.get $wide)
      (then (v128.store offset=16 (local.get $c) (local.get $s11))))
    (br_if 0 (i32.le_s (local.get $rows) (i32.const 2)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    ;; row 2
    (if (local.get $bias)
      (then (local.set $v (v128.load32_splat offset=8 (local.get $bias)))))
    (local.set $s20 (f32x4.add (local.get $s20) (local.get $v)))
    (local.set $s21 (f32x4.add (local.get $s21) (local.get $v)))
    (if (local.get $add)
      (then
        (local.set $s20 (f32x4.add (local.get $s20) (v128.load (local.get $c))))
        (if (local.get $wide)
          (then (local.set $s21 (f32x4.add (local.get $s21) (v128.load offset=16 (local.get $c))))))))
    (v128.store (local.get $c) (local.get $s20))
    (if (local.get $wide)
      (then (v128.store offset=16 (local.get $c) (local.get $s21))))
    (br_if 0 (i32.le_s (local.get $rows) (i32.const 3)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc4)))
    ;; row 3
    (if (local.get $bias)
      (then (local.set $v (v128.load32_splat offset=12 (local.get $bias)))))
    (local.set $s30 (f32x4.add (local.get $s30) (local.get $v)))
    (local.set $s31 (f32x4.add (local.get $s31) (local.get $v)))
    (if (local.get $add)
      (then
        (local.set $s30 (f32x4.add (local.get $s30) (v128.load (local.get $c))))
        (if (local.get $wide)
          (then (local.set $s31 (f32x4.add (local.get $s31) (v128.load offset=16 (local.get $c))))))))
    (v128.store (local.get $c) (local.get $s30))
    (if (local.get $wide)
      (then (v128.store offset=16 (local.get $c) (local.get $s31))))))
