;; kernels.wat: the SIMD kernels of package lrp, for the js/wasm build.
;;
;; Go's wasm port emits no SIMD instructions, so the engine's hot loops are
;; written here by hand in 128-bit WebAssembly SIMD and assembled by
;; wat2wasm (scripts/build.sh) into web/kernels.wasm. The module owns no
;; memory: it imports the Go instance's linear memory, and Go passes it the
;; addresses of slices it holds (lrp/simd_wasm.go and steps_wasm.go,
;; //go:wasmimport lrpsimd …); web/lrp.js instantiates it after the Go
;; instance and forwards Go's calls to it. Each function does what a Go
;; function of lrp does, with the same floating-point operations on every
;; value in the same order, so that both give the same bits, a NaN only
;; being NaN (lrp's TestGemmSIMDMatchesGo, TestWinogradSIMDMatchesGo and
;; steps_js_test.go, tests/simd.test.mjs):
;;
;;   macro        lrp/gemm.go macroGo: the packed matrix product of a block
;;   packb        lrp/gemm.go packBGo: packing b, rows contiguous
;;   wino_input   lrp/winograd.go winoInputGo: V = Bᵀ d B
;;   wino_output  lrp/winograd.go winoOutputGo: Y = Aᵀ M A
;;   add … sum9   the rules' elementwise steps, ReLU, the sums of the
;;                diagnostics, the modified weights (signed), col2im's sum
;;                of nine taps: loops over whole arrays, four values at a
;;                time
;;   wino_pack    lrp/winograd.go winoPack: the weights' Winograd transforms
;;   axpy, dot4   lrp/gemm.go: the dense layers' matrix-vector products
;;   scatter, gather  lrp/kernels.go: a convolution's sparse passes (and
;;                scatter_t, untranspose, gather_t: the same on columns
;;                transposed, steps_wasm.go)
;;   im2col, col2im, max_pool  lrp/kernels.go, forward.go (and their flat
;;                and 2×2 cases: im2col_flat, col2im_flat, max_pool2)
;;
;; Measured in wasm under Node 20, CPU time, ResNet-18's shapes: the matrix
;; product 21–27 GFLOP/s against 5.6 for the pure-Go kernel; the Winograd
;; transforms of a 64×56×56 layer about 4× faster than Go's.
;;
;; ---- macro
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
  (func $macro (export "macro")
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
  (func $packb (export "packb")
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
      (then (v128.store offset=16 (local.get $c) (local.get $s31)))))

  ;; wino_input is lrp's winoInput: v [16][c][th·tw] (planes vs floats
  ;; apart) = Bᵀ d B for every channel and tile of x [c][h][w] (channels
  ;; xs floats apart), through pad, a plane [2th+2][2tw+2] that gets each
  ;; channel with a zero border (top pt, left pl), followed by 4 scratch
  ;; rows (see lrp/winograd.go):
  ;;
  ;;   Bᵀ d:   rows d0−d2, d1+d2, d2−d1, d1−d3   (of the 4 rows of a tile row)
  ;;   (Bᵀd)B: each row (p, q, r, s) → (p−r, q+r, r−q, q−s)
  ;;
  ;; Four columns of Bᵀd at a time, then four tiles at a time: tile j reads
  ;; columns 2j…2j+3, so the p, q, r and s of tiles j…j+3 are the even and
  ;; odd lanes of columns 2j…2j+7 and 2j+2…2j+9 (two shuffles each). The
  ;; same operations as Go's on every value, so the same bits.
  (func $wino_input (export "wino_input")
    (param $v i32) (param $x i32) (param $c i32) (param $h i32) (param $w i32)
    (param $th i32) (param $tw i32) (param $pt i32) (param $pl i32) (param $vs i32) (param $pad i32) (param $xs i32)
    (local $pw i32) (local $pw4 i32) (local $nt i32) (local $tmp i32) (local $ch i32) (local $y i32)
    (local $y1 i32) (local $x1 i32) (local $i i32) (local $q i32) (local $j i32) (local $k i32)
    (local $r0 i32) (local $u i32) (local $o i32) (local $vs4 i32) (local $end i32) (local $tw4 i32)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $p v128) (local $pq v128) (local $pr v128) (local $ps v128)
    (local $e0 f32) (local $e1 f32) (local $e2 f32) (local $e3 f32)
    (local.set $pw (i32.add (i32.shl (local.get $tw) (i32.const 1)) (i32.const 2)))
    (local.set $pw4 (i32.shl (local.get $pw) (i32.const 2)))
    (local.set $nt (i32.mul (local.get $th) (local.get $tw)))
    (local.set $vs4 (i32.shl (local.get $vs) (i32.const 2)))
    (local.set $tw4 (i32.and (local.get $tw) (i32.const -4)))
    ;; tmp: the 4 scratch rows after the plane of 2th+2 rows
    (local.set $tmp (i32.add (local.get $pad)
      (i32.mul (i32.add (i32.shl (local.get $th) (i32.const 1)) (i32.const 2)) (local.get $pw4))))
    (memory.fill (local.get $pad) (i32.const 0) (i32.sub (local.get $tmp) (local.get $pad)))
    ;; the rows and columns of x that tiles read
    (local.set $y1 (call $min (local.get $h) (i32.sub (i32.add (i32.shl (local.get $th) (i32.const 1)) (i32.const 2)) (local.get $pt))))
    (local.set $x1 (call $min (local.get $w) (i32.sub (local.get $pw) (local.get $pl))))
    (local.set $ch (i32.const 0))
    (block $channelsDone
      (loop $channels
        (br_if $channelsDone (i32.ge_s (local.get $ch) (local.get $c)))
        ;; copy channel ch into the plane
        (local.set $y (i32.const 0))
        (block $copied
          (loop $copy
            (br_if $copied (i32.ge_s (local.get $y) (local.get $y1)))
            (memory.copy
              (i32.add (local.get $pad) (i32.shl (i32.add (i32.mul (i32.add (local.get $y) (local.get $pt)) (local.get $pw)) (local.get $pl)) (i32.const 2)))
              (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $ch) (local.get $xs)) (i32.mul (local.get $y) (local.get $w))) (i32.const 2)))
              (i32.shl (local.get $x1) (i32.const 2)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $copy)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $th)))
            ;; Bᵀd of tile row i into the scratch rows u0…u3 (pw apart)
            (local.set $r0 (i32.add (local.get $pad) (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $pw4))))
            (local.set $q (i32.const 0))
            (local.set $end (i32.and (local.get $pw) (i32.const -4)))
            (block $colsDone
              (loop $cols
                (br_if $colsDone (i32.ge_s (local.get $q) (local.get $end)))
                (local.set $o (i32.add (local.get $r0) (i32.shl (local.get $q) (i32.const 2))))
                (local.set $d0 (v128.load (local.get $o)))
                (local.set $d1 (v128.load (i32.add (local.get $o) (local.get $pw4))))
                (local.set $d2 (v128.load (i32.add (local.get $o) (i32.shl (local.get $pw4) (i32.const 1)))))
                (local.set $d3 (v128.load (i32.add (local.get $o) (i32.mul (local.get $pw4) (i32.const 3)))))
                (local.set $u (i32.add (local.get $tmp) (i32.shl (local.get $q) (i32.const 2))))
                (v128.store (local.get $u) (f32x4.sub (local.get $d0) (local.get $d2)))
                (local.set $u (i32.add (local.get $u) (local.get $pw4)))
                (v128.store (local.get $u) (f32x4.add (local.get $d1) (local.get $d2)))
                (local.set $u (i32.add (local.get $u) (local.get $pw4)))
                (v128.store (local.get $u) (f32x4.sub (local.get $d2) (local.get $d1)))
                (local.set $u (i32.add (local.get $u) (local.get $pw4)))
                (v128.store (local.get $u) (f32x4.sub (local.get $d1) (local.get $d3)))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (br $cols)))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_s (local.get $q) (local.get $pw)))
                (local.set $o (i32.add (local.get $r0) (i32.shl (local.get $q) (i32.const 2))))
                (local.set $e0 (f32.load (local.get $o)))
                (local.set $e1 (f32.load (i32.add (local.get $o) (local.get $pw4))))
                (local.set $e2 (f32.load (i32.add (local.get $o) (i32.shl (local.get $pw4) (i32.const 1)))))
                (local.set $e3 (f32.load (i32.add (local.get $o) (i32.mul (local.get $pw4) (i32.const 3)))))
                (local.set $u (i32.add (local.get $tmp) (i32.shl (local.get $q) (i32.const 2))))
                (f32.store (local.get $u) (f32.sub (local.get $e0) (local.get $e2)))
                (local.set $u (i32.add (local.get $u) (local.get $pw4)))
                (f32.store (local.get $u) (f32.add (local.get $e1) (local.get $e2)))
                (local.set $u (i32.add (local.get $u) (local.get $pw4)))
                (f32.store (local.get $u) (f32.sub (local.get $e2) (local.get $e1)))
                (local.set $u (i32.add (local.get $u) (local.get $pw4)))
                (f32.store (local.get $u) (f32.sub (local.get $e1) (local.get $e3)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $tail)))
            ;; (Bᵀd)B of each scratch row k into planes 4k…4k+3 of v
            (local.set $k (i32.const 0))
            (block $planesDone
              (loop $planes
                (br_if $planesDone (i32.ge_s (local.get $k) (i32.const 4)))
                (local.set $u (i32.add (local.get $tmp) (i32.mul (local.get $k) (local.get $pw4))))
                ;; o: tile 0 of this row of tiles, channel ch, plane 4k
                (local.set $o (i32.add (local.get $v)
                  (i32.add (i32.mul (i32.shl (local.get $k) (i32.const 2)) (local.get $vs4))
                    (i32.shl (i32.add (i32.mul (local.get $ch) (local.get $nt)) (i32.mul (local.get $i) (local.get $tw))) (i32.const 2)))))
                (local.set $j (i32.const 0))
                (block $tilesDone
                  (loop $tiles
                    (br_if $tilesDone (i32.ge_s (local.get $j) (local.get $tw4)))
                    (local.set $d0 (v128.load (local.get $u)))
                    (local.set $d1 (v128.load offset=16 (local.get $u)))
                    (local.set $d2 (v128.load offset=8 (local.get $u)))
                    (local.set $d3 (v128.load offset=24 (local.get $u)))
                    (local.set $p (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $d0) (local.get $d1)))
                    (local.set $pq (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $d0) (local.get $d1)))
                    (local.set $pr (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $d2) (local.get $d3)))
                    (local.set $ps (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $d2) (local.get $d3)))
                    (v128.store (local.get $o) (f32x4.sub (local.get $p) (local.get $pr)))
                    (v128.store (i32.add (local.get $o) (local.get $vs4)) (f32x4.add (local.get $pq) (local.get $pr)))
                    (v128.store (i32.add (local.get $o) (i32.shl (local.get $vs4) (i32.const 1))) (f32x4.sub (local.get $pr) (local.get $pq)))
                    (v128.store (i32.add (local.get $o) (i32.mul (local.get $vs4) (i32.const 3))) (f32x4.sub (local.get $pq) (local.get $ps)))
                    (local.set $u (i32.add (local.get $u) (i32.const 32)))
                    (local.set $o (i32.add (local.get $o) (i32.const 16)))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $tiles)))
                (block $lastDone
                  (loop $last
                    (br_if $lastDone (i32.ge_s (local.get $j) (local.get $tw)))
                    (local.set $e0 (f32.load (local.get $u)))
                    (local.set $e1 (f32.load offset=4 (local.get $u)))
                    (local.set $e2 (f32.load offset=8 (local.get $u)))
                    (local.set $e3 (f32.load offset=12 (local.get $u)))
                    (f32.store (local.get $o) (f32.sub (local.get $e0) (local.get $e2)))
                    (f32.store (i32.add (local.get $o) (local.get $vs4)) (f32.add (local.get $e1) (local.get $e2)))
                    (f32.store (i32.add (local.get $o) (i32.shl (local.get $vs4) (i32.const 1))) (f32.sub (local.get $e2) (local.get $e1)))
                    (f32.store (i32.add (local.get $o) (i32.mul (local.get $vs4) (i32.const 3))) (f32.sub (local.get $e1) (local.get $e3)))
                    (local.set $u (i32.add (local.get $u) (i32.const 8)))
                    (local.set $o (i32.add (local.get $o) (i32.const 4)))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $last)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $planes)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $channels))))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  ;; wino_output is lrp's winoOutput: dst [k][oh][ow] (channels ds floats
  ;; apart) = Aᵀ M A + bias[o] (added to dst with acc; bias 0 adds +0, as
  ;; Go's zero bias does) for every channel o and tile of m [16][k][th·tw]
  ;; (planes ms floats apart), dropping the outputs past oh×ow (see
  ;; lrp/winograd.go):
  ;;
  ;;   Aᵀ M:   rows m0+m1+m2, m1−m2−m3   (m_r the rows of the 4×4 tile)
  ;;   (AᵀM)A: each row (p, q, r, s) → (p+q+r, q−r−s)
  ;;
  ;; Four tiles at a time, where both their columns are inside (j < ow/2),
  ;; the two outputs of each row interleaved by a shuffle; the other tiles
  ;; one at a time. The same operations as Go's, in its order, so the same
  ;; bits.
  (func $wino_output (export "wino_output")
    (param $dst i32) (param $m i32) (param $k i32) (param $oh i32) (param $ow i32)
    (param $th i32) (param $tw i32) (param $ms i32) (param $bias i32) (param $acc i32) (param $ds i32)
    (local $o i32) (local $i i32) (local $j i32) (local $full i32) (local $full4 i32) (local $nt i32) (local $ms4 i32)
    (local $out i32) (local $y0 i32) (local $y1 i32) (local $mp i32) (local $p i32)
    (local $b f32) (local $bv v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $t00 f32) (local $t01 f32) (local $t02 f32) (local $t03 f32)
    (local $t10 f32) (local $t11 f32) (local $t12 f32) (local $t13 f32)
    (local $b00 f32) (local $b01 f32) (local $b10 f32) (local $b11 f32)
    (local.set $nt (i32.mul (local.get $th) (local.get $tw)))
    (local.set $ms4 (i32.shl (local.get $ms) (i32.const 2)))
    (local.set $full (i32.shr_u (local.get $ow) (i32.const 1)))
    (local.set $full4 (i32.and (local.get $full) (i32.const -4)))
    (block $channelsDone
      (loop $channels
        (br_if $channelsDone (i32.ge_s (local.get $o) (local.get $k)))
        (local.set $b (f32.const 0))
        (if (local.get $bias)
          (then (local.set $b (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))))
        (local.set $bv (f32x4.splat (local.get $b)))
        (local.set $out (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $o) (local.get $ds)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $th)))
            (local.set $y0 (i32.add (local.get $out) (i32.shl (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $ow)) (i32.const 2))))
            (local.set $y1 (select
              (i32.add (local.get $y0) (i32.shl (local.get $ow) (i32.const 2)))
              (i32.const 0)
              (i32.lt_s (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (local.get $oh))))
            (local.set $mp (i32.add (local.get $m) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $nt)) (i32.mul (local.get $i) (local.get $tw))) (i32.const 2))))
            (local.set $j (i32.const 0))
            (block $fourDone
              (loop $four
                (br_if $fourDone (i32.ge_s (local.get $j) (local.get $full4)))
                ;; p: plane 0 of tiles j…j+3; plane ξ is ξ·ms4 further
                (local.set $p (local.get $mp))
                (local.set $s00 (call $col0 (local.get $p) (local.get $ms4)))
                (local.set $s10 (call $col1 (local.get $p) (local.get $ms4)))
                (local.set $p (i32.add (local.get $p) (local.get $ms4)))
                (local.set $s01 (call $col0 (local.get $p) (local.get $ms4)))
                (local.set $s11 (call $col1 (local.get $p) (local.get $ms4)))
                (local.set $p (i32.add (local.get $p) (local.get $ms4)))
                (local.set $s02 (call $col0 (local.get $p) (local.get $ms4)))
                (local.set $s12 (call $col1 (local.get $p) (local.get $ms4)))
                (local.set $p (i32.add (local.get $p) (local.get $ms4)))
                (local.set $s03 (call $col0 (local.get $p) (local.get $ms4)))
                (local.set $s13 (call $col1 (local.get $p) (local.get $ms4)))
                (local.set $a00 (f32x4.add (f32x4.add (f32x4.add (local.get $s00) (local.get $s01)) (local.get $s02)) (local.get $bv)))
                (local.set $a01 (f32x4.add (f32x4.sub (f32x4.sub (local.get $s01) (local.get $s02)) (local.get $s03)) (local.get $bv)))
                (local.set $a10 (f32x4.add (f32x4.add (f32x4.add (local.get $s10) (local.get $s11)) (local.get $s12)) (local.get $bv)))
                (local.set $a11 (f32x4.add (f32x4.sub (f32x4.sub (local.get $s11) (local.get $s12)) (local.get $s13)) (local.get $bv)))
                (call $put (i32.add (local.get $y0) (i32.shl (local.get $j) (i32.const 3))) (local.get $a00) (local.get $a01) (local.get $acc))
                (if (local.get $y1)
                  (then (call $put (i32.add (local.get $y1) (i32.shl (local.get $j) (i32.const 3))) (local.get $a10) (local.get $a11) (local.get $acc))))
                (local.set $mp (i32.add (local.get $mp) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $four)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_s (local.get $j) (local.get $tw)))
                (local.set $p (local.get $mp))
                (local.set $t00 (call $col0s (local.get $p) (local.get $ms4)))
                (local.set $t10 (call $col1s (local.get $p) (local.get $ms4)))
                (local.set $p (i32.add (local.get $p) (local.get $ms4)))
                (local.set $t01 (call $col0s (local.get $p) (local.get $ms4)))
                (local.set $t11 (call $col1s (local.get $p) (local.get $ms4)))
                (local.set $p (i32.add (local.get $p) (local.get $ms4)))
                (local.set $t02 (call $col0s (local.get $p) (local.get $ms4)))
                (local.set $t12 (call $col1s (local.get $p) (local.get $ms4)))
                (local.set $p (i32.add (local.get $p) (local.get $ms4)))
                (local.set $t03 (call $col0s (local.get $p) (local.get $ms4)))
                (local.set $t13 (call $col1s (local.get $p) (local.get $ms4)))
                (local.set $b00 (f32.add (f32.add (f32.add (local.get $t00) (local.get $t01)) (local.get $t02)) (local.get $b)))
                (local.set $b01 (f32.add (f32.sub (f32.sub (local.get $t01) (local.get $t02)) (local.get $t03)) (local.get $b)))
                (local.set $b10 (f32.add (f32.add (f32.add (local.get $t10) (local.get $t11)) (local.get $t12)) (local.get $b)))
                (local.set $b11 (f32.add (f32.sub (f32.sub (local.get $t11) (local.get $t12)) (local.get $t13)) (local.get $b)))
                (call $put1 (i32.add (local.get $y0) (i32.shl (local.get $j) (i32.const 3))) (local.get $b00) (local.get $acc))
                (if (local.get $y1)
                  (then (call $put1 (i32.add (local.get $y1) (i32.shl (local.get $j) (i32.const 3))) (local.get $b10) (local.get $acc))))
                (if (i32.lt_s (local.get $j) (local.get $full))
                  (then
                    (call $put1 (i32.add (local.get $y0) (i32.add (i32.shl (local.get $j) (i32.const 3)) (i32.const 4))) (local.get $b01) (local.get $acc))
                    (if (local.get $y1)
                      (then (call $put1 (i32.add (local.get $y1) (i32.add (i32.shl (local.get $j) (i32.const 3)) (i32.const 4))) (local.get $b11) (local.get $acc))))))
                (local.set $mp (i32.add (local.get $mp) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $one)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $channels))))

  ;; col0 and col1 are Aᵀ M for column q of four tiles: p at plane q
  ;; (rows 0…3 at p, p + 4·ms4, p + 8·ms4, p + 12·ms4): m0+m1+m2 and m1−m2−m3.
  (func $col0 (param $p i32) (param $ms4 i32) (result v128)
    (f32x4.add
      (f32x4.add (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 2)))))
      (v128.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 3))))))
  (func $col1 (param $p i32) (param $ms4 i32) (result v128)
    (f32x4.sub
      (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 2)))) (v128.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 3)))))
      (v128.load (i32.add (local.get $p) (i32.mul (local.get $ms4) (i32.const 12))))))
  (func $col0s (param $p i32) (param $ms4 i32) (result f32)
    (f32.add
      (f32.add (f32.load (local.get $p)) (f32.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 2)))))
      (f32.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 3))))))
  (func $col1s (param $p i32) (param $ms4 i32) (result f32)
    (f32.sub
      (f32.sub (f32.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 2)))) (f32.load (i32.add (local.get $p) (i32.shl (local.get $ms4) (i32.const 3)))))
      (f32.load (i32.add (local.get $p) (i32.mul (local.get $ms4) (i32.const 12))))))

  ;; put stores the outputs (a0, a1) of four tiles interleaved, a0[0] a1[0]
  ;; a0[1] a1[1] …, at y (added to what y holds with acc); put1 one value.
  (func $put (param $y i32) (param $a0 v128) (param $a1 v128) (param $acc i32)
    (local $lo v128) (local $hi v128)
    (local.set $lo (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
    (local.set $hi (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
    (if (local.get $acc)
      (then
        (local.set $lo (f32x4.add (v128.load (local.get $y)) (local.get $lo)))
        (local.set $hi (f32x4.add (v128.load offset=16 (local.get $y)) (local.get $hi)))))
    (v128.store (local.get $y) (local.get $lo))
    (v128.store offset=16 (local.get $y) (local.get $hi)))
  (func $put1 (param $y i32) (param $a f32) (param $acc i32)
    (if (local.get $acc)
      (then (local.set $a (f32.add (f32.load (local.get $y)) (local.get $a)))))
    (f32.store (local.get $y) (local.get $a)))

  ;; ---- The elementwise steps
  ;;
  ;; Loops over whole arrays that Go's wasm runs one value at a time: the
  ;; rules' steps (lrp/step.go add, mul, mulAdd, quotients and step.div;
  ;; Gamma.quotientsFrom; Norm through an Add; the gradient of a ReLU),
  ;; ReLU itself and the count of nonzeros (lrp/forward.go, kernels.go),
  ;; and col2im's sum of nine taps. Each takes n floats at each address,
  ;; four per iteration and the last n mod 4 one by one, with Go's
  ;; operations in Go's order on every value. i is the byte offset into
  ;; every array; n4 and nb end the vector and the scalar loop.
  ;;
  ;; stab(d) = d − ε where d < 0, else d + ε (lrp/rules.go) is a select of
  ;; both: −0 and NaN take d + ε, as in Go.

  ;; add is lrp's add, dst[i] = dst[i] + a[i], with b = dst; or, with
  ;; another b, the forward pass of an Add, dst[i] = a[i] + b[i].
  (func $add (export "add") (param $dst i32) (param $a i32) (param $b i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $nb i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; mul is lrp's mul: dst[i] = x[i]·c[i].
  (func $mul (export "mul") (param $dst i32) (param $x i32) (param $c i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $nb i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $c) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.mul (f32.load (i32.add (local.get $x) (local.get $i))) (f32.load (i32.add (local.get $c) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; mul_add is lrp's mulAdd: dst[i] += k·(x[i]·c[i]).
  (func $mul_add (export "mul_add") (param $dst i32) (param $x i32) (param $c i32) (param $n i32) (param $k f32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $kv v128)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $kv (f32x4.splat (local.get $k)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $i)))
            (f32x4.mul (local.get $kv)
              (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $c) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $dst) (local.get $i)))
            (f32.mul (local.get $k)
              (f32.mul (f32.load (i32.add (local.get $x) (local.get $i))) (f32.load (i32.add (local.get $c) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; quot is lrp's quotients and step.div: g[i] = r[i] / stab(z[i] − d0[i]),
  ;; or r[i] / stab(z[i]) when d0 is 0 (none).
  (func $quot (export "quot") (param $g i32) (param $r i32) (param $z i32) (param $d0 i32) (param $n i32) (param $eps f32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $ev v128) (local $d v128) (local $e f32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $ev (f32x4.splat (local.get $eps)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $d (v128.load (i32.add (local.get $z) (local.get $i))))
        (if (local.get $d0)
          (then (local.set $d (f32x4.sub (local.get $d) (v128.load (i32.add (local.get $d0) (local.get $i)))))))
        (v128.store (i32.add (local.get $g) (local.get $i))
          (f32x4.div (v128.load (i32.add (local.get $r) (local.get $i)))
            (v128.bitselect
              (f32x4.sub (local.get $d) (local.get $ev))
              (f32x4.add (local.get $d) (local.get $ev))
              (f32x4.lt (local.get $d) (v128.const f32x4 0 0 0 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $e (f32.load (i32.add (local.get $z) (local.get $i))))
        (if (local.get $d0)
          (then (local.set $e (f32.sub (local.get $e) (f32.load (i32.add (local.get $d0) (local.get $i)))))))
        (f32.store (i32.add (local.get $g) (local.get $i))
          (f32.div (f32.load (i32.add (local.get $r) (local.get $i)))
            (select
              (f32.sub (local.get $e) (local.get $eps))
              (f32.add (local.get $e) (local.get $eps))
              (f32.lt (local.get $e) (f32.const 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; quot_gamma is lrp's Gamma.quotientsFrom without a support: gp[i] =
  ;; R / stab(z + γq) where z > 0, else +0; gn[i] = R / stab(z + γ(z − q))
  ;; where z < 0, else +0 (both quotients computed, the other masked off);
  ;; it stores the bits of all gp ORed at bits, and those of all gn at
  ;; bits + 4.
  (func $quot_gamma (export "quot_gamma")
    (param $gp i32) (param $gn i32) (param $z i32) (param $q i32) (param $rel i32) (param $n i32)
    (param $gamma f32) (param $eps f32) (param $bits i32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $gv v128) (local $ev v128)
    (local $zv v128) (local $qv v128) (local $rv v128) (local $d v128) (local $p v128) (local $m v128)
    (local $bp v128) (local $bn v128)
    (local $zs f32) (local $e f32) (local $ps f32) (local $ms f32) (local $sp i32) (local $sn i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $gv (f32x4.splat (local.get $gamma)))
    (local.set $ev (f32x4.splat (local.get $eps)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $zv (v128.load (i32.add (local.get $z) (local.get $i))))
        (local.set $qv (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $rv (v128.load (i32.add (local.get $rel) (local.get $i))))
        ;; gp: Dp = z + γq
        (local.set $d (f32x4.add (local.get $zv) (f32x4.mul (local.get $gv) (local.get $qv))))
        (local.set $p (v128.and
          (f32x4.div (local.get $rv)
            (v128.bitselect (f32x4.sub (local.get $d) (local.get $ev)) (f32x4.add (local.get $d) (local.get $ev))
              (f32x4.lt (local.get $d) (v128.const f32x4 0 0 0 0))))
          (f32x4.gt (local.get $zv) (v128.const f32x4 0 0 0 0))))
        (v128.store (i32.add (local.get $gp) (local.get $i)) (local.get $p))
        (local.set $bp (v128.or (local.get $bp) (local.get $p)))
        ;; gn: Dn = z + γ(z − q)
        (local.set $d (f32x4.add (local.get $zv) (f32x4.mul (local.get $gv) (f32x4.sub (local.get $zv) (local.get $qv)))))
        (local.set $m (v128.and
          (f32x4.div (local.get $rv)
            (v128.bitselect (f32x4.sub (local.get $d) (local.get $ev)) (f32x4.add (local.get $d) (local.get $ev))
              (f32x4.lt (local.get $d) (v128.const f32x4 0 0 0 0))))
          (f32x4.lt (local.get $zv) (v128.const f32x4 0 0 0 0))))
        (v128.store (i32.add (local.get $gn) (local.get $i)) (local.get $m))
        (local.set $bn (v128.or (local.get $bn) (local.get $m)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (local.set $sp (i32.or
      (i32.or (i32x4.extract_lane 0 (local.get $bp)) (i32x4.extract_lane 1 (local.get $bp)))
      (i32.or (i32x4.extract_lane 2 (local.get $bp)) (i32x4.extract_lane 3 (local.get $bp)))))
    (local.set $sn (i32.or
      (i32.or (i32x4.extract_lane 0 (local.get $bn)) (i32x4.extract_lane 1 (local.get $bn)))
      (i32.or (i32x4.extract_lane 2 (local.get $bn)) (i32x4.extract_lane 3 (local.get $bn)))))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $zs (f32.load (i32.add (local.get $z) (local.get $i))))
        (local.set $ps (f32.const 0))
        (local.set $ms (f32.const 0))
        (if (f32.gt (local.get $zs) (f32.const 0))
          (then
            (local.set $e (f32.add (local.get $zs) (f32.mul (local.get $gamma) (f32.load (i32.add (local.get $q) (local.get $i))))))
            (local.set $ps (f32.div (f32.load (i32.add (local.get $rel) (local.get $i)))
              (select (f32.sub (local.get $e) (local.get $eps)) (f32.add (local.get $e) (local.get $eps)) (f32.lt (local.get $e) (f32.const 0)))))))
        (if (f32.lt (local.get $zs) (f32.const 0))
          (then
            (local.set $e (f32.add (local.get $zs)
              (f32.mul (local.get $gamma) (f32.sub (local.get $zs) (f32.load (i32.add (local.get $q) (local.get $i)))))))
            (local.set $ms (f32.div (f32.load (i32.add (local.get $rel) (local.get $i)))
              (select (f32.sub (local.get $e) (local.get $eps)) (f32.add (local.get $e) (local.get $eps)) (f32.lt (local.get $e) (f32.const 0)))))))
        (f32.store (i32.add (local.get $gp) (local.get $i)) (local.get $ps))
        (f32.store (i32.add (local.get $gn) (local.get $i)) (local.get $ms))
        (local.set $sp (i32.or (local.get $sp) (i32.reinterpret_f32 (local.get $ps))))
        (local.set $sn (i32.or (local.get $sn) (i32.reinterpret_f32 (local.get $ms))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
    (i32.store (local.get $bits) (local.get $sp))
    (i32.store offset=4 (local.get $bits) (local.get $sn)))

  ;; norm_add is lrp's Norm rule through an Add: g = R / stab(y),
  ;; d0[i] = x0[i]·g, d1[i] = x1[i]·g.
  (func $norm_add (export "norm_add")
    (param $d0 i32) (param $d1 i32) (param $x0 i32) (param $x1 i32) (param $r i32) (param $y i32) (param $n i32) (param $eps f32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $ev v128) (local $d v128) (local $g v128) (local $e f32) (local $gs f32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $ev (f32x4.splat (local.get $eps)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $d (v128.load (i32.add (local.get $y) (local.get $i))))
        (local.set $g (f32x4.div (v128.load (i32.add (local.get $r) (local.get $i)))
          (v128.bitselect (f32x4.sub (local.get $d) (local.get $ev)) (f32x4.add (local.get $d) (local.get $ev))
            (f32x4.lt (local.get $d) (v128.const f32x4 0 0 0 0)))))
        (v128.store (i32.add (local.get $d0) (local.get $i)) (f32x4.mul (v128.load (i32.add (local.get $x0) (local.get $i))) (local.get $g)))
        (v128.store (i32.add (local.get $d1) (local.get $i)) (f32x4.mul (v128.load (i32.add (local.get $x1) (local.get $i))) (local.get $g)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $e (f32.load (i32.add (local.get $y) (local.get $i))))
        (local.set $gs (f32.div (f32.load (i32.add (local.get $r) (local.get $i)))
          (select (f32.sub (local.get $e) (local.get $eps)) (f32.add (local.get $e) (local.get $eps)) (f32.lt (local.get $e) (f32.const 0)))))
        (f32.store (i32.add (local.get $d0) (local.get $i)) (f32.mul (f32.load (i32.add (local.get $x0) (local.get $i))) (local.get $gs)))
        (f32.store (i32.add (local.get $d1) (local.get $i)) (f32.mul (f32.load (i32.add (local.get $x1) (local.get $i))) (local.get $gs)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; relu is lrp's reluTo: dst[i] = x[i] where x[i] > 0 or is NaN, else +0
  ;; (−0 included). With r not 0 it is the gradient of a ReLU instead
  ;; (lrp's Gradient through a ReLU): dst[i] = r[i] where x[i] > 0, else +0.
  (func $relu (export "relu") (param $dst i32) (param $x i32) (param $r i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $v v128) (local $s f32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (if (local.get $r)
          (then (local.set $v (v128.and (v128.load (i32.add (local.get $r) (local.get $i)))
            (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)))))
          (else (local.set $v (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
        (if (local.get $r)
          (then (local.set $s (select (f32.load (i32.add (local.get $r) (local.get $i))) (f32.const 0) (f32.gt (local.get $s) (f32.const 0)))))
          (else (local.set $s (select (f32.const 0) (local.get $s) (f32.le (local.get $s) (f32.const 0))))))
        (f32.store (i32.add (local.get $dst) (local.get $i)) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; nonzeros is the count of lrp's density: the values of v that are not
  ;; ±0 (NaN counts), by their bits shifted left once.
  (func $nonzeros (export "nonzeros") (param $v i32) (param $n i32) (result i32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $acc v128) (local $count i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        ;; a nonzero lane compares to −1: subtracting it counts one
        (local.set $acc (i32x4.sub (local.get $acc)
          (i32x4.ne (i32x4.shl (v128.load (i32.add (local.get $v) (local.get $i))) (i32.const 1)) (v128.const i32x4 0 0 0 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (local.set $count (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $count (i32.add (local.get $count)
          (i32.ne (i32.shl (i32.load (i32.add (local.get $v) (local.get $i))) (i32.const 1)) (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
    (local.get $count))

  ;; sum64 is lrp's sum64: the float64 sum of v, in four running sums
  ;; s0…s3 of the values 4i, 4i+1, 4i+2 and 4i+3 (two f64x2), the last
  ;; n mod 4 values added to s0, then (s0 + s1) + (s2 + s3).
  (func $sum64 (export "sum64") (param $v i32) (param $n i32) (result f64)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $x v128) (local $s01 v128) (local $s23 v128) (local $s0 f64)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $x (v128.load (i32.add (local.get $v) (local.get $i))))
        (local.set $s01 (f64x2.add (local.get $s01) (f64x2.promote_low_f32x4 (local.get $x))))
        (local.set $s23 (f64x2.add (local.get $s23)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (local.set $s0 (f64x2.extract_lane 0 (local.get $s01)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $s0 (f64.add (local.get $s0) (f64.promote_f32 (f32.load (i32.add (local.get $v) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
    (f64.add
      (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $s01)))
      (f64.add (f64x2.extract_lane 0 (local.get $s23)) (f64x2.extract_lane 1 (local.get $s23)))))

  ;; negatives reports whether any value of x is below 0 (not −0, not NaN):
  ;; step.split's test.
  (func $negatives (export "negatives") (param $x i32) (param $n i32) (result i32)
    (local $i i32) (local $n4 i32) (local $nb i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (if (v128.any_true (f32x4.lt (v128.load (i32.add (local.get $x) (local.get $i))) (v128.const f32x4 0 0 0 0)))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (if (f32.lt (f32.load (i32.add (local.get $x) (local.get $i))) (f32.const 0))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
    (i32.const 0))

  ;; split is step.split's x⁺ = max(x, 0) and x⁻ = min(x, 0), with Go's
  ;; min and max: max(−0, 0) = +0, min(−0, 0) = −0, NaN stays NaN.
  (func $split (export "split") (param $xp i32) (param $xn i32) (param $x i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $v v128) (local $s f32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (v128.store (i32.add (local.get $xp) (local.get $i)) (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))
        (v128.store (i32.add (local.get $xn) (local.get $i)) (f32x4.min (local.get $v) (v128.const f32x4 0 0 0 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
        (f32.store (i32.add (local.get $xp) (local.get $i)) (f32.max (local.get $s) (f32.const 0)))
        (f32.store (i32.add (local.get $xn) (local.get $i)) (f32.min (local.get $s) (f32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; signed is lrp's signed: dst[i] = (x + kp·x⁺) + kn·x⁻, x⁺ and x⁻ the
  ;; bits of x kept or zeroed by its sign bit spread over a mask (−0 goes
  ;; to x⁻, as in Go).
  (func $signed (export "signed") (param $dst i32) (param $x i32) (param $n i32) (param $kp f32) (param $kn f32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $v v128) (local $m v128) (local $kpv v128) (local $knv v128)
    (local $b i32) (local $neg i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $kpv (f32x4.splat (local.get $kp)))
    (local.set $knv (f32x4.splat (local.get $kn)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $m (i32x4.shr_s (local.get $v) (i32.const 31)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.add
            (f32x4.add (local.get $v) (f32x4.mul (local.get $kpv) (v128.andnot (local.get $v) (local.get $m))))
            (f32x4.mul (local.get $knv) (v128.and (local.get $v) (local.get $m)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $b (i32.load (i32.add (local.get $x) (local.get $i))))
        (local.set $neg (i32.shr_s (local.get $b) (i32.const 31)))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.add
            (f32.add (f32.reinterpret_i32 (local.get $b))
              (f32.mul (local.get $kp) (f32.reinterpret_i32 (i32.and (local.get $b) (i32.xor (local.get $neg) (i32.const -1))))))
            (f32.mul (local.get $kn) (f32.reinterpret_i32 (i32.and (local.get $b) (local.get $neg))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; wino_pack is the loop of lrp's winoPack over one depth block: for the
  ;; k rows and kb depths of the block, the 3×3 kernel of (row, t), at
  ;; w + 4·(row·rs9 + t·ds9), is transformed into its 16 values U_ξ
  ;; (winoKernels), stored at ap + 4·(row·kp + at[ξ] + 2t + row mod 2):
  ;; ap is the block's start and at the 16 offsets (int32) of the operands.
  ;; With mr = 2 the kernels (row, t), (row+1, t), (row, t+1), (row+1, t+1)
  ;; go to four consecutive floats of each operand: one vector each, the
  ;; four kernels' values gathered into lanes (value j of the kernels at
  ;; a, b, a2 = a + 4·ds9 and b2 = b + 4·ds9), each row of G g turned into
  ;; its four values (p, (p+q+r)/2, (p−q+r)/2, r) and stored; a last row or
  ;; depth alone, kernel by kernel (wino_kernel).
  ;;
  ;;   G g   = rows g₀, (g₀+g₁+g₂)/2, (g₀−g₁+g₂)/2, g₂      (g_r the rows)
  ;;   (Gg)Gᵀ: each row (p, q, r) → (p, (p+q+r)/2, (p−q+r)/2, r)
  (func $wino_pack (export "wino_pack")
    (param $ap i32) (param $at i32) (param $w i32) (param $k i32) (param $kb i32) (param $kp i32) (param $rs9 i32) (param $ds9 i32)
    (local $row i32) (local $t i32) (local $u i32) (local $wr i32) (local $a i32) (local $b i32) (local $a2 i32) (local $b2 i32) (local $j i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g4 v128)
    (local $g5 v128) (local $g6 v128) (local $g7 v128) (local $g8 v128)
    (local $p v128) (local $q v128) (local $r v128) (local $o i32)
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $row) (local.get $k)))
        (local.set $u (i32.add (local.get $ap) (i32.shl (i32.mul (local.get $row) (local.get $kp)) (i32.const 2))))
        (local.set $wr (i32.add (local.get $w) (i32.shl (i32.mul (local.get $row) (local.get $rs9)) (i32.const 2))))
        (local.set $t (i32.const 0))
        (if (i32.lt_s (i32.add (local.get $row) (i32.const 1)) (local.get $k))
          (then
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.gt_s (i32.add (local.get $t) (i32.const 2)) (local.get $kb)))
                ;; a: kernel (row, t); b: kernel (row+1, t); each + ds9 for t+1
                (local.set $a (i32.add (local.get $wr) (i32.shl (i32.mul (local.get $t) (local.get $ds9)) (i32.const 2))))
                (local.set $b (i32.add (local.get $a) (i32.shl (local.get $rs9) (i32.const 2))))
                (local.set $a2 (i32.add (local.get $a) (i32.shl (local.get $ds9) (i32.const 2))))
                (local.set $b2 (i32.add (local.get $b) (i32.shl (local.get $ds9) (i32.const 2))))
                (local.set $g0 (v128.load32_lane 3 (local.get $b2) (v128.load32_lane 2 (local.get $a2) (v128.load32_lane 1 (local.get $b) (v128.load32_splat (local.get $a))))))
                (local.set $g1 (v128.load32_lane offset=4 3 (local.get $b2) (v128.load32_lane offset=4 2 (local.get $a2) (v128.load32_lane offset=4 1 (local.get $b) (v128.load32_splat offset=4 (local.get $a))))))
                (local.set $g2 (v128.load32_lane offset=8 3 (local.get $b2) (v128.load32_lane offset=8 2 (local.get $a2) (v128.load32_lane offset=8 1 (local.get $b) (v128.load32_splat offset=8 (local.get $a))))))
                (local.set $g3 (v128.load32_lane offset=12 3 (local.get $b2) (v128.load32_lane offset=12 2 (local.get $a2) (v128.load32_lane offset=12 1 (local.get $b) (v128.load32_splat offset=12 (local.get $a))))))
                (local.set $g4 (v128.load32_lane offset=16 3 (local.get $b2) (v128.load32_lane offset=16 2 (local.get $a2) (v128.load32_lane offset=16 1 (local.get $b) (v128.load32_splat offset=16 (local.get $a))))))
                (local.set $g5 (v128.load32_lane offset=20 3 (local.get $b2) (v128.load32_lane offset=20 2 (local.get $a2) (v128.load32_lane offset=20 1 (local.get $b) (v128.load32_splat offset=20 (local.get $a))))))
                (local.set $g6 (v128.load32_lane offset=24 3 (local.get $b2) (v128.load32_lane offset=24 2 (local.get $a2) (v128.load32_lane offset=24 1 (local.get $b) (v128.load32_splat offset=24 (local.get $a))))))
                (local.set $g7 (v128.load32_lane offset=28 3 (local.get $b2) (v128.load32_lane offset=28 2 (local.get $a2) (v128.load32_lane offset=28 1 (local.get $b) (v128.load32_splat offset=28 (local.get $a))))))
                (local.set $g8 (v128.load32_lane offset=32 3 (local.get $b2) (v128.load32_lane offset=32 2 (local.get $a2) (v128.load32_lane offset=32 1 (local.get $b) (v128.load32_splat offset=32 (local.get $a))))))
                ;; o: the byte offset of depth t's pair in each operand
                (local.set $o (i32.add (local.get $u) (i32.shl (local.get $t) (i32.const 3))))
                ;; the rows of G g, each into four operands: g₀ g₁ g₂, their
                ;; (g₀+g₃+g₆)/2 …, (g₀−g₃+g₆)/2 …, g₆ g₇ g₈
                (local.set $p (local.get $g0))
                (local.set $q (local.get $g1))
                (local.set $r (local.get $g2))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load (local.get $at)) (i32.const 2))) (local.get $p))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=4 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=8 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=12 (local.get $at)) (i32.const 2))) (local.get $r))
                (local.set $p (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $g0) (local.get $g3)) (local.get $g6))))
                (local.set $q (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $g1) (local.get $g4)) (local.get $g7))))
                (local.set $r (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $g2) (local.get $g5)) (local.get $g8))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=16 (local.get $at)) (i32.const 2))) (local.get $p))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=20 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=24 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=28 (local.get $at)) (i32.const 2))) (local.get $r))
                (local.set $p (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $g0) (local.get $g3)) (local.get $g6))))
                (local.set $q (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $g1) (local.get $g4)) (local.get $g7))))
                (local.set $r (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $g2) (local.get $g5)) (local.get $g8))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=32 (local.get $at)) (i32.const 2))) (local.get $p))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=36 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=40 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=44 (local.get $at)) (i32.const 2))) (local.get $r))
                (local.set $p (local.get $g6))
                (local.set $q (local.get $g7))
                (local.set $r (local.get $g8))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=48 (local.get $at)) (i32.const 2))) (local.get $p))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=52 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.add (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=56 (local.get $at)) (i32.const 2))) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add (f32x4.sub (local.get $p) (local.get $q)) (local.get $r))))
                (v128.store (i32.add (local.get $o) (i32.shl (i32.load offset=60 (local.get $at)) (i32.const 2))) (local.get $r))
                (local.set $t (i32.add (local.get $t) (i32.const 2)))
                (br $pairs)))))
        ;; the depths left (all of them for a last row alone), kernel by kernel
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_s (local.get $t) (local.get $kb)))
            (local.set $j (i32.const 0))
            (block $rowDone
              (loop $pairRow
                (br_if $rowDone (i32.ge_s (local.get $j) (i32.const 2)))
                (br_if $rowDone (i32.ge_s (i32.add (local.get $row) (local.get $j)) (local.get $k)))
                (call $wino_kernel
                  (i32.add (local.get $u) (i32.shl (i32.add (i32.shl (local.get $t) (i32.const 1)) (local.get $j)) (i32.const 2)))
                  (local.get $at)
                  (i32.add (local.get $wr) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $ds9)) (i32.mul (local.get $j) (local.get $rs9))) (i32.const 2))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $pairRow)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $one)))
        (local.set $row (i32.add (local.get $row) (i32.const 2)))
        (br $rows))))

  ;; wino_kernel is winoKernels for one kernel g (9 floats): its 16 values
  ;; at u + 4·at[ξ].
  (func $wino_kernel (param $u i32) (param $at i32) (param $g i32)
    (call $urow1 (local.get $u) (local.get $at) (i32.const 0)
      (f32.load (local.get $g)) (f32.load offset=4 (local.get $g)) (f32.load offset=8 (local.get $g)))
    (call $urow1 (local.get $u) (local.get $at) (i32.const 16)
      (f32.mul (f32.const 0.5) (f32.add (f32.add (f32.load (local.get $g)) (f32.load offset=12 (local.get $g))) (f32.load offset=24 (local.get $g))))
      (f32.mul (f32.const 0.5) (f32.add (f32.add (f32.load offset=4 (local.get $g)) (f32.load offset=16 (local.get $g))) (f32.load offset=28 (local.get $g))))
      (f32.mul (f32.const 0.5) (f32.add (f32.add (f32.load offset=8 (local.get $g)) (f32.load offset=20 (local.get $g))) (f32.load offset=32 (local.get $g)))))
    (call $urow1 (local.get $u) (local.get $at) (i32.const 32)
      (f32.mul (f32.const 0.5) (f32.add (f32.sub (f32.load (local.get $g)) (f32.load offset=12 (local.get $g))) (f32.load offset=24 (local.get $g))))
      (f32.mul (f32.const 0.5) (f32.add (f32.sub (f32.load offset=4 (local.get $g)) (f32.load offset=16 (local.get $g))) (f32.load offset=28 (local.get $g))))
      (f32.mul (f32.const 0.5) (f32.add (f32.sub (f32.load offset=8 (local.get $g)) (f32.load offset=20 (local.get $g))) (f32.load offset=32 (local.get $g)))))
    (call $urow1 (local.get $u) (local.get $at) (i32.const 48)
      (f32.load offset=24 (local.get $g)) (f32.load offset=28 (local.get $g)) (f32.load offset=32 (local.get $g))))

  ;; urow1 stores (p, (p+q+r)/2, (p−q+r)/2, r) into the operands
  ;; at[x/4 … x/4+3] (x the byte offset of the first in at), at u past
  ;; each operand's start.
  (func $urow1 (param $u i32) (param $at i32) (param $x i32) (param $p f32) (param $q f32) (param $r f32)
    (local $a i32)
    (local.set $a (i32.add (local.get $at) (local.get $x)))
    (f32.store (i32.add (local.get $u) (i32.shl (i32.load (local.get $a)) (i32.const 2))) (local.get $p))
    (f32.store (i32.add (local.get $u) (i32.shl (i32.load offset=4 (local.get $a)) (i32.const 2)))
      (f32.mul (f32.const 0.5) (f32.add (f32.add (local.get $p) (local.get $q)) (local.get $r))))
    (f32.store (i32.add (local.get $u) (i32.shl (i32.load offset=8 (local.get $a)) (i32.const 2)))
      (f32.mul (f32.const 0.5) (f32.add (f32.sub (local.get $p) (local.get $q)) (local.get $r))))
    (f32.store (i32.add (local.get $u) (i32.shl (i32.load offset=12 (local.get $a)) (i32.const 2))) (local.get $r)))

  ;; sum9 is lrp's sum9: dst[i] = ((dst[i] + r0[i]) + r1[i]) + … + r8[i].
  (func $sum9 (export "sum9")
    (param $dst i32) (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $r3 i32) (param $r4 i32)
    (param $r5 i32) (param $r6 i32) (param $r7 i32) (param $r8 i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $nb i32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add
            (v128.load (i32.add (local.get $dst) (local.get $i)))
            (v128.load (i32.add (local.get $r0) (local.get $i))))
            (v128.load (i32.add (local.get $r1) (local.get $i))))
            (v128.load (i32.add (local.get $r2) (local.get $i))))
            (v128.load (i32.add (local.get $r3) (local.get $i))))
            (v128.load (i32.add (local.get $r4) (local.get $i))))
            (v128.load (i32.add (local.get $r5) (local.get $i))))
            (v128.load (i32.add (local.get $r6) (local.get $i))))
            (v128.load (i32.add (local.get $r7) (local.get $i))))
            (v128.load (i32.add (local.get $r8) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.add (f32.add (f32.add (f32.add (f32.add (f32.add (f32.add (f32.add (f32.add
            (f32.load (i32.add (local.get $dst) (local.get $i)))
            (f32.load (i32.add (local.get $r0) (local.get $i))))
            (f32.load (i32.add (local.get $r1) (local.get $i))))
            (f32.load (i32.add (local.get $r2) (local.get $i))))
            (f32.load (i32.add (local.get $r3) (local.get $i))))
            (f32.load (i32.add (local.get $r4) (local.get $i))))
            (f32.load (i32.add (local.get $r5) (local.get $i))))
            (f32.load (i32.add (local.get $r6) (local.get $i))))
            (f32.load (i32.add (local.get $r7) (local.get $i))))
            (f32.load (i32.add (local.get $r8) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; ---- The steps at a support (lrp/step.go, rule_gamma.go, rule_gradient.go)
  ;;
  ;; Below a max pooling whose windows do not overlap, the relevance is zero
  ;; but at the winners of the pooling, whose sorted indices Go knows (step.
  ;; support): the quotients are computed there only, +0 elsewhere, and the
  ;; pooling's gradient sends each output's relevance to its winner. The
  ;; indices come from Go's own pooling; an index outside the array traps
  ;; rather than write past it.

  ;; quot_at is lrp's quotients and step.div at the nsup indices sup:
  ;; g = +0 over n values, then g[j] = r[j] / stab(z[j] − d0[j]), or
  ;; r[j] / stab(z[j]) when d0 is 0, for each j of sup in order.
  (func $quot_at (export "quot_at") (param $g i32) (param $r i32) (param $z i32) (param $d0 i32) (param $n i32) (param $eps f32)
    (param $sup i32) (param $nsup i32)
    (local $i i32) (local $j i32) (local $e f32)
    (memory.fill (local.get $g) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $nsup)))
        (local.set $j (i32.load (i32.add (local.get $sup) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.ge_u (local.get $j) (local.get $n)) (then unreachable))
        (local.set $j (i32.shl (local.get $j) (i32.const 2)))
        (local.set $e (f32.load (i32.add (local.get $z) (local.get $j))))
        (if (local.get $d0)
          (then (local.set $e (f32.sub (local.get $e) (f32.load (i32.add (local.get $d0) (local.get $j)))))))
        (f32.store (i32.add (local.get $g) (local.get $j))
          (f32.div (f32.load (i32.add (local.get $r) (local.get $j)))
            (select (f32.sub (local.get $e) (local.get $eps)) (f32.add (local.get $e) (local.get $eps)) (f32.lt (local.get $e) (f32.const 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))

  ;; quot_gamma_at is lrp's Gamma.quotientsFrom at the nsup indices sup:
  ;; gp = gn = +0 over n values, then at each j of sup gp[j] = R / stab(z +
  ;; γq) where z > 0 and gn[j] = R / stab(z + γ(z − q)) where z < 0 (+0
  ;; otherwise); the bits of all gp ORed are stored at bits, those of all
  ;; gn at bits + 4.
  (func $quot_gamma_at (export "quot_gamma_at")
    (param $gp i32) (param $gn i32) (param $z i32) (param $q i32) (param $rel i32) (param $n i32)
    (param $gamma f32) (param $eps f32) (param $bits i32) (param $sup i32) (param $nsup i32)
    (local $i i32) (local $j i32) (local $zs f32) (local $e f32) (local $ps f32) (local $ms f32) (local $sp i32) (local $sn i32)
    (memory.fill (local.get $gp) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $gn) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $nsup)))
        (local.set $j (i32.load (i32.add (local.get $sup) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.ge_u (local.get $j) (local.get $n)) (then unreachable))
        (local.set $j (i32.shl (local.get $j) (i32.const 2)))
        (local.set $zs (f32.load (i32.add (local.get $z) (local.get $j))))
        (local.set $ps (f32.const 0))
        (local.set $ms (f32.const 0))
        (if (f32.gt (local.get $zs) (f32.const 0))
          (then
            (local.set $e (f32.add (local.get $zs) (f32.mul (local.get $gamma) (f32.load (i32.add (local.get $q) (local.get $j))))))
            (local.set $ps (f32.div (f32.load (i32.add (local.get $rel) (local.get $j)))
              (select (f32.sub (local.get $e) (local.get $eps)) (f32.add (local.get $e) (local.get $eps)) (f32.lt (local.get $e) (f32.const 0)))))))
        (if (f32.lt (local.get $zs) (f32.const 0))
          (then
            (local.set $e (f32.add (local.get $zs)
              (f32.mul (local.get $gamma) (f32.sub (local.get $zs) (f32.load (i32.add (local.get $q) (local.get $j)))))))
            (local.set $ms (f32.div (f32.load (i32.add (local.get $rel) (local.get $j)))
              (select (f32.sub (local.get $e) (local.get $eps)) (f32.add (local.get $e) (local.get $eps)) (f32.lt (local.get $e) (f32.const 0)))))))
        (f32.store (i32.add (local.get $gp) (local.get $j)) (local.get $ps))
        (f32.store (i32.add (local.get $gn) (local.get $j)) (local.get $ms))
        (local.set $sp (i32.or (local.get $sp) (i32.reinterpret_f32 (local.get $ps))))
        (local.set $sn (i32.or (local.get $sn) (i32.reinterpret_f32 (local.get $ms))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $bits) (local.get $sp))
    (i32.store offset=4 (local.get $bits) (local.get $sn)))

  ;; unpool is the gradient of lrp's maxPool (Gradient.backward): dst = +0
  ;; over nin values, then dst[arg[o]] += r[o] for o < n in order.
  (func $unpool (export "unpool") (param $dst i32) (param $r i32) (param $arg i32) (param $n i32) (param $nin i32)
    (local $o i32) (local $k i32)
    (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $nin) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $o) (local.get $n)))
        (local.set $k (i32.load (i32.add (local.get $arg) (i32.shl (local.get $o) (i32.const 2)))))
        (if (i32.ge_u (local.get $k) (local.get $nin)) (then unreachable))
        (local.set $k (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 2))))
        (f32.store (local.get $k) (f32.add (f32.load (local.get $k)) (f32.load (i32.add (local.get $r) (i32.shl (local.get $o) (i32.const 2))))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $each))))

  ;; box_sum is lrp's boxSum: dst[i] = (x[i] − lt[i])·cp[i] + (x[i] − ht[i])·cn[i].
  (func $box_sum (export "box_sum") (param $dst i32) (param $x i32) (param $lt i32) (param $ht i32) (param $cp i32) (param $cn i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $v v128) (local $s f32)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.add
            (f32x4.mul (f32x4.sub (local.get $v) (v128.load (i32.add (local.get $lt) (local.get $i)))) (v128.load (i32.add (local.get $cp) (local.get $i))))
            (f32x4.mul (f32x4.sub (local.get $v) (v128.load (i32.add (local.get $ht) (local.get $i)))) (v128.load (i32.add (local.get $cn) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.add
            (f32.mul (f32.sub (local.get $s) (f32.load (i32.add (local.get $lt) (local.get $i)))) (f32.load (i32.add (local.get $cp) (local.get $i))))
            (f32.mul (f32.sub (local.get $s) (f32.load (i32.add (local.get $ht) (local.get $i)))) (f32.load (i32.add (local.get $cn) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; ---- The matrix-vector products of a dense layer (lrp/gemm.go)

  ;; axpy is lrp's axpy: y[i] += g·x[i] (gemvCols, the transposed pass).
  (func $axpy (export "axpy") (param $y i32) (param $x i32) (param $n i32) (param $g f32)
    (local $i i32) (local $n4 i32) (local $nb i32) (local $gv v128)
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $gv (f32x4.splat (local.get $g)))
    (block $fourDone
      (loop $four
        (br_if $fourDone (i32.ge_u (local.get $i) (local.get $n4)))
        (v128.store (i32.add (local.get $y) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $y) (local.get $i)))
            (f32x4.mul (local.get $gv) (v128.load (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $four)))
    (block $oneDone
      (loop $one
        (br_if $oneDone (i32.ge_u (local.get $i) (local.get $nb)))
        (f32.store (i32.add (local.get $y) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $y) (local.get $i)))
            (f32.mul (local.get $g) (f32.load (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one))))

  ;; dot4 is lrp's dot4: the dot products of x (k floats) with the rows
  ;; a, a + 4·ld, a + 8·ld and a + 12·ld, stored at out. The four rows are
  ;; the four lanes: per block of kc = 256 depths, running sums s; per four
  ;; depths t…t+3 the rows' values are transposed into columns c_j (lane r
  ;; holds row r's value at t+j) and s += ((c₀x_t + c₁x_{t+1}) + c₂x_{t+2})
  ;; + c₃x_{t+3}, as Go sums each row; the last depths of a block one by
  ;; one, s += c·x_t; then the block's s is added to the total.
  (func $dot4 (export "dot4") (param $a i32) (param $ld i32) (param $x i32) (param $k i32) (param $out i32)
    (local $ld4 i32) (local $p0 i32) (local $p1 i32) (local $t i32) (local $r i32)
    (local $s v128) (local $total v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $c v128)
    (local.set $ld4 (i32.shl (local.get $ld) (i32.const 2)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_s (local.get $p0) (local.get $k)))
        (local.set $p1 (call $min (i32.add (local.get $p0) (i32.const 256)) (local.get $k)))
        (local.set $s (v128.const f32x4 0 0 0 0))
        (local.set $t (local.get $p0))
        (block $fourDone
          (loop $four
            (br_if $fourDone (i32.gt_s (i32.add (local.get $t) (i32.const 4)) (local.get $p1)))
            (local.set $r (i32.add (local.get $a) (i32.shl (local.get $t) (i32.const 2))))
            ;; rows 0 and 1, 2 and 3 interleaved, then the columns
            (local.set $t0 (v128.load (local.get $r)))
            (local.set $t1 (v128.load (i32.add (local.get $r) (local.get $ld4))))
            (local.set $t2 (v128.load (i32.add (local.get $r) (i32.shl (local.get $ld4) (i32.const 1)))))
            (local.set $t3 (v128.load (i32.add (local.get $r) (i32.mul (local.get $ld4) (i32.const 3)))))
            (local.set $c (local.get $t0))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $t1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $t1)))
            (local.set $c (local.get $t2))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $t3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $t3)))
            (local.set $r (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 2))))
            (local.set $s (f32x4.add (local.get $s)
              (f32x4.add
                (f32x4.add
                  (f32x4.add
                    (f32x4.mul (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)) (v128.load32_splat (local.get $r)))
                    (f32x4.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)) (v128.load32_splat offset=4 (local.get $r))))
                  (f32x4.mul (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)) (v128.load32_splat offset=8 (local.get $r))))
                (f32x4.mul (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)) (v128.load32_splat offset=12 (local.get $r))))))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $four)))
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_s (local.get $t) (local.get $p1)))
            (local.set $r (i32.add (local.get $a) (i32.shl (local.get $t) (i32.const 2))))
            (local.set $c (f32x4.replace_lane 3
              (f32x4.replace_lane 2
                (f32x4.replace_lane 1
                  (f32x4.splat (f32.load (local.get $r)))
                  (f32.load (i32.add (local.get $r) (local.get $ld4))))
                (f32.load (i32.add (local.get $r) (i32.shl (local.get $ld4) (i32.const 1)))))
              (f32.load (i32.add (local.get $r) (i32.mul (local.get $ld4) (i32.const 3))))))
            (local.set $s (f32x4.add (local.get $s)
              (f32x4.mul (local.get $c) (v128.load32_splat (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 2)))))))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $one)))
        (local.set $total (f32x4.add (local.get $total) (local.get $s)))
        (local.set $p0 (local.get $p1))
        (br $blocks)))
    (v128.store (local.get $out) (local.get $total)))

  ;; gemv_rows is lrp's gemvRows over its first m4 rows (a multiple of 4)
  ;; with c contiguous (ldc = 1): dot4 of each four rows of a (ld floats
  ;; apart) with x into c[i … i+3], plus the old c[i … i+3] with acc.
  (func $gemv_rows (export "gemv_rows") (param $a i32) (param $ld i32) (param $x i32) (param $k i32)
    (param $c i32) (param $m4 i32) (param $acc i32)
    (local $i i32) (local $old v128)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_s (local.get $i) (local.get $m4)))
        (if (local.get $acc) (then (local.set $old (v128.load (local.get $c)))))
        (call $dot4 (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $ld)) (i32.const 2))) (local.get $ld) (local.get $x) (local.get $k) (local.get $c))
        (if (local.get $acc) (then (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $old)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))

  ;; gemv_cols is lrp's gemvCols with c contiguous: axpy of row t of aᵀ
  ;; (cs floats apart) times x[t] into c[0 … m), for each t < k in order
  ;; where x[t] ≠ 0.
  (func $gemv_cols (export "gemv_cols") (param $c i32) (param $a i32) (param $cs i32) (param $x i32) (param $k i32) (param $m i32)
    (local $t i32) (local $g f32)
    (block $done
      (loop $cols
        (br_if $done (i32.ge_s (local.get $t) (local.get $k)))
        (local.set $g (f32.load (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 2)))))
        (if (f32.ne (local.get $g) (f32.const 0))
          (then (call $axpy (local.get $c) (i32.add (local.get $a) (i32.shl (i32.mul (local.get $t) (local.get $cs)) (i32.const 2))) (local.get $m) (local.get $g))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $cols))))

  ;; ---- The sparse passes of a convolution
  ;;
  ;; Below a max pooling the relevance is mostly zero, and lrp/kernels.go's
  ;; Conv2D.forward and Conv2D.transpose visit only its nonzeros, one
  ;; column of the im2col matrix [k][np] at a time (a stride of np floats):
  ;; scalar loops, not vectors, but without Go's bounds checks and loop
  ;; dispatch. One call per output channel o, for its weights w (k floats)
  ;; and its relevance or need vector (np floats); the positions p to visit
  ;; are those of the sorted list sup (nsup int32 indices, p = sup[i] − o0)
  ;; when sup is not 0, else every p, in order.

  ;; scatter is the sparse transpose of one output channel:
  ;; cols[t][p] += g[p]·w[t] for t < k, at every p where g[p] ≠ 0
  ;; (lrp's axpyStride, in its order).
  (func $scatter (export "scatter")
    (param $cols i32) (param $w i32) (param $g i32) (param $k i32) (param $np i32)
    (param $sup i32) (param $nsup i32) (param $o0 i32)
    (local $i i32) (local $p i32) (local $v f32) (local $t i32) (local $y i32) (local $np4 i32) (local $wt i32) (local $end i32)
    (local.set $np4 (i32.shl (local.get $np) (i32.const 2)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 2))))
    (block $done
      (loop $points
        (if (local.get $sup)
          (then
            (br_if $done (i32.ge_s (local.get $i) (local.get $nsup)))
            (local.set $p (i32.sub (i32.load (i32.add (local.get $sup) (i32.shl (local.get $i) (i32.const 2)))) (local.get $o0))))
          (else
            (br_if $done (i32.ge_s (local.get $i) (local.get $np)))
            (local.set $p (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $v (f32.load (i32.add (local.get $g) (i32.shl (local.get $p) (i32.const 2)))))
        (if (f32.ne (local.get $v) (f32.const 0))
          (then
            ;; column p of cols: cols + 4p, then np floats further per t
            (local.set $y (i32.add (local.get $cols) (i32.shl (local.get $p) (i32.const 2))))
            (local.set $wt (local.get $w))
            (block $columnDone
              (loop $column
                (br_if $columnDone (i32.ge_u (local.get $wt) (local.get $end)))
                (f32.store (local.get $y) (f32.add (f32.load (local.get $y)) (f32.mul (local.get $v) (f32.load (local.get $wt)))))
                (local.set $y (i32.add (local.get $y) (local.get $np4)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 4)))
                (br $column)))))
        (br $points))))

  ;; scatter_t is the sparse transpose of og output channels at once, into
  ;; the transposed columns ct [np][k] (column p of cols [k][np] as a row
  ;; of k floats, so that it takes vectors): ct[p][t] += g[m]·w[o][t] for
  ;; t < k at every m = o·np + p, o < og, where g[m] ≠ 0, w [og][k], in the
  ;; order of m (the positions of the sorted list sup minus o0 when sup is
  ;; not 0, else every m; a position out of order traps). Each ct[p][t] receives its products in the
  ;; order of o, as scatter's cols[t][p] does; with clear set, ct starts
  ;; at +0.
  (func $scatter_t (export "scatter_t")
    (param $ct i32) (param $w i32) (param $g i32) (param $k i32) (param $np i32) (param $og i32)
    (param $sup i32) (param $nsup i32) (param $o0 i32) (param $clear i32)
    (local $i i32) (local $m i32) (local $n i32) (local $o i32) (local $ob i32) (local $v f32) (local $vv v128)
    (local $y i32) (local $wt i32) (local $end4 i32) (local $end i32) (local $k4 i32)
    (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
    (local.set $n (i32.mul (local.get $og) (local.get $np)))
    (if (local.get $clear)
      (then (memory.fill (local.get $ct) (i32.const 0) (i32.mul (local.get $np) (local.get $k4)))))
    (block $done
      (loop $points
        (if (local.get $sup)
          (then
            (br_if $done (i32.ge_u (local.get $i) (local.get $nsup)))
            (local.set $m (i32.sub (i32.load (i32.add (local.get $sup) (i32.shl (local.get $i) (i32.const 2)))) (local.get $o0)))
            (if (i32.ge_u (local.get $m) (local.get $n)) (then unreachable)))
          (else
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $m (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $v (f32.load (i32.add (local.get $g) (i32.shl (local.get $m) (i32.const 2)))))
        (if (f32.ne (local.get $v) (f32.const 0))
          (then
            ;; the channel o of m: the positions come in order
            (block $found
              (loop $next
                (br_if $found (i32.lt_u (local.get $m) (i32.add (local.get $ob) (local.get $np))))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))
                (local.set $ob (i32.add (local.get $ob) (local.get $np)))
                (br $next)))
            (if (i32.lt_u (local.get $m) (local.get $ob)) (then unreachable))
            ;; row p = m − o·np of ct, row o of w
            (local.set $y (i32.add (local.get $ct) (i32.mul (i32.sub (local.get $m) (local.get $ob)) (local.get $k4))))
            (local.set $wt (i32.add (local.get $w) (i32.mul (local.get $o) (local.get $k4))))
            (local.set $end (i32.add (local.get $wt) (local.get $k4)))
            (local.set $end4 (i32.add (local.get $wt) (i32.and (local.get $k4) (i32.const -16))))
            (local.set $vv (f32x4.splat (local.get $v)))
            (block $fourDone
              (loop $four
                (br_if $fourDone (i32.ge_u (local.get $wt) (local.get $end4)))
                (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $vv) (v128.load (local.get $wt)))))
                (local.set $y (i32.add (local.get $y) (i32.const 16)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 16)))
                (br $four)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $wt) (local.get $end)))
                (f32.store (local.get $y) (f32.add (f32.load (local.get $y)) (f32.mul (local.get $v) (f32.load (local.get $wt)))))
                (local.set $y (i32.add (local.get $y) (i32.const 4)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 4)))
                (br $one)))))
        (br $points))))

  ;; untranspose turns the transposed columns ct [np][k] of scatter_t
  ;; back into cols [k][np], cols[t][p] = ct[p][t], for col2im, which then
  ;; reads whole vectors of a row of cols where reading ct takes one load
  ;; per value: four rows of ct by four of its columns at a time, a 4×4
  ;; block transposed by shuffles, the rest one value at a time.
  (func $untranspose (export "untranspose") (param $cols i32) (param $ct i32) (param $k i32) (param $np i32)
    (local $p i32) (local $t i32) (local $k4 i32) (local $np4 i32) (local $s i32) (local $d i32) (local $p1 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
    (local.set $np4 (i32.shl (local.get $np) (i32.const 2)))
    (block $pDone
      (loop $pLoop
        (br_if $pDone (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $np)))
        ;; s: ct[p][t]; d: cols[t][p]
        (local.set $s (i32.add (local.get $ct) (i32.shl (i32.mul (local.get $p) (local.get $k)) (i32.const 2))))
        (local.set $d (i32.add (local.get $cols) (i32.shl (local.get $p) (i32.const 2))))
        (local.set $t (i32.const 0))
        (block $tDone
          (loop $tLoop
            (br_if $tDone (i32.gt_s (i32.add (local.get $t) (i32.const 4)) (local.get $k)))
            (local.set $r0 (v128.load (local.get $s)))
            (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $k4))))
            (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $k4) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $k4) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (local.set $d (i32.add (local.get $d) (local.get $np4)))
            (v128.store (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (local.set $d (i32.add (local.get $d) (local.get $np4)))
            (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (local.set $d (i32.add (local.get $d) (local.get $np4)))
            (v128.store (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $d (i32.add (local.get $d) (local.get $np4)))
            (local.set $s (i32.add (local.get $s) (i32.const 16)))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $tLoop)))
        ;; the last k mod 4 columns of these four rows
        (block $rDone
          (loop $rLoop
            (br_if $rDone (i32.ge_s (local.get $t) (local.get $k)))
            (i32.store (local.get $d) (i32.load (local.get $s)))
            (i32.store offset=4 (local.get $d) (i32.load (i32.add (local.get $s) (local.get $k4))))
            (i32.store offset=8 (local.get $d) (i32.load (i32.add (local.get $s) (i32.shl (local.get $k4) (i32.const 1)))))
            (i32.store offset=12 (local.get $d) (i32.load (i32.add (local.get $s) (i32.mul (local.get $k4) (i32.const 3)))))
            (local.set $d (i32.add (local.get $d) (local.get $np4)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $rLoop)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $pLoop)))
    ;; the last np mod 4 rows
    (block $qDone
      (loop $qLoop
        (br_if $qDone (i32.ge_s (local.get $p) (local.get $np)))
        (local.set $s (i32.add (local.get $ct) (i32.shl (i32.mul (local.get $p) (local.get $k)) (i32.const 2))))
        (local.set $d (i32.add (local.get $cols) (i32.shl (local.get $p) (i32.const 2))))
        (local.set $t (i32.const 0))
        (block $tDone
          (loop $tLoop
            (br_if $tDone (i32.ge_s (local.get $t) (local.get $k)))
            (i32.store (local.get $d) (i32.load (local.get $s)))
            (local.set $d (i32.add (local.get $d) (local.get $np4)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $tLoop)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $qLoop))))

  ;; gather is the sparse forward pass of og output channels: out[m] =
  ;; Σ_t w[o][t]·cols[t][p] + bias[o] at every m = o·np + p where need[m]
  ;; ≠ 0, else +0 (bias[o] = 0 when bias is 0), w [og][k], m as in
  ;; scatter_t; each sum as lrp's dotStride: four running sums s_j over t
  ;; ≡ j mod 4, the last k mod 4 products added to s0, then (s0 + s1) +
  ;; (s2 + s3).
  (func $gather (export "gather")
    (param $out i32) (param $w i32) (param $cols i32) (param $need i32) (param $k i32) (param $np i32) (param $og i32)
    (param $sup i32) (param $nsup i32) (param $o0 i32) (param $bias i32)
    (local $i i32) (local $m i32) (local $n i32) (local $ob i32) (local $wo i32) (local $b f32)
    (local $x i32) (local $wt i32) (local $np4 i32) (local $end4 i32) (local $end i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (local.set $np4 (i32.shl (local.get $np) (i32.const 2)))
    (local.set $n (i32.mul (local.get $og) (local.get $np)))
    (local.set $wo (local.get $w))
    (if (local.get $bias) (then (local.set $b (f32.load (local.get $bias)))))
    (if (local.get $sup)
      (then (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))))
    (block $done
      (loop $points
        (if (local.get $sup)
          (then
            (br_if $done (i32.ge_u (local.get $i) (local.get $nsup)))
            (local.set $m (i32.sub (i32.load (i32.add (local.get $sup) (i32.shl (local.get $i) (i32.const 2)))) (local.get $o0)))
            (if (i32.ge_u (local.get $m) (local.get $n)) (then unreachable)))
          (else
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $m (local.get $i))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))) (f32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (f32.ne (f32.load (i32.add (local.get $need) (i32.shl (local.get $m) (i32.const 2)))) (f32.const 0))
          (then
            ;; the channel of m, whose row of w starts at wo and bias is b
            (block $found
              (loop $next
                (br_if $found (i32.lt_u (local.get $m) (i32.add (local.get $ob) (local.get $np))))
                (local.set $ob (i32.add (local.get $ob) (local.get $np)))
                (local.set $wo (i32.add (local.get $wo) (i32.shl (local.get $k) (i32.const 2))))
                (if (local.get $bias)
                  (then
                    (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
                    (local.set $b (f32.load (local.get $bias)))))
                (br $next)))
            (if (i32.lt_u (local.get $m) (local.get $ob)) (then unreachable))
            (local.set $end4 (i32.add (local.get $wo) (i32.shl (i32.and (local.get $k) (i32.const -4)) (i32.const 2))))
            (local.set $end (i32.add (local.get $wo) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $s0 (f32.const 0))
            (local.set $s1 (f32.const 0))
            (local.set $s2 (f32.const 0))
            (local.set $s3 (f32.const 0))
            (local.set $x (i32.add (local.get $cols) (i32.shl (i32.sub (local.get $m) (local.get $ob)) (i32.const 2))))
            (local.set $wt (local.get $wo))
            (block $fourDone
              (loop $four
                (br_if $fourDone (i32.ge_u (local.get $wt) (local.get $end4)))
                (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (local.get $wt)) (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (local.get $np4)))
                (local.set $s1 (f32.add (local.get $s1) (f32.mul (f32.load offset=4 (local.get $wt)) (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (local.get $np4)))
                (local.set $s2 (f32.add (local.get $s2) (f32.mul (f32.load offset=8 (local.get $wt)) (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (local.get $np4)))
                (local.set $s3 (f32.add (local.get $s3) (f32.mul (f32.load offset=12 (local.get $wt)) (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (local.get $np4)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 16)))
                (br $four)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $wt) (local.get $end)))
                (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (local.get $wt)) (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (local.get $np4)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 4)))
                (br $one)))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2)))
              (f32.add (f32.add (f32.add (local.get $s0) (local.get $s1)) (f32.add (local.get $s2) (local.get $s3))) (local.get $b)))))
        (br $points))))

  ;; gather_t is gather from the transposed columns ct [np][k] (column p
  ;; of cols as a row of k floats: untranspose with the dimensions
  ;; swapped): the products of a sum, w[o][t]·ct[p][t], are adjacent, so
  ;; dotStride's four running sums s_j over t ≡ j mod 4 are the lanes of
  ;; one vector sum, the last k mod 4 products added to lane 0 after.
  (func $gather_t (export "gather_t")
    (param $out i32) (param $w i32) (param $ct i32) (param $need i32) (param $k i32) (param $np i32) (param $og i32)
    (param $sup i32) (param $nsup i32) (param $o0 i32) (param $bias i32)
    (local $i i32) (local $m i32) (local $n i32) (local $ob i32) (local $wo i32) (local $b f32)
    (local $x i32) (local $wt i32) (local $end4 i32) (local $end i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $s v128) (local $k4 i32)
    (local.set $k4 (i32.shl (local.get $k) (i32.const 2)))
    (local.set $n (i32.mul (local.get $og) (local.get $np)))
    (local.set $wo (local.get $w))
    (if (local.get $bias) (then (local.set $b (f32.load (local.get $bias)))))
    (if (local.get $sup)
      (then (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))))
    (block $done
      (loop $points
        (if (local.get $sup)
          (then
            (br_if $done (i32.ge_u (local.get $i) (local.get $nsup)))
            (local.set $m (i32.sub (i32.load (i32.add (local.get $sup) (i32.shl (local.get $i) (i32.const 2)))) (local.get $o0)))
            (if (i32.ge_u (local.get $m) (local.get $n)) (then unreachable)))
          (else
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $m (local.get $i))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))) (f32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (f32.ne (f32.load (i32.add (local.get $need) (i32.shl (local.get $m) (i32.const 2)))) (f32.const 0))
          (then
            ;; the channel of m, whose row of w starts at wo and bias is b
            (block $found
              (loop $next
                (br_if $found (i32.lt_u (local.get $m) (i32.add (local.get $ob) (local.get $np))))
                (local.set $ob (i32.add (local.get $ob) (local.get $np)))
                (local.set $wo (i32.add (local.get $wo) (i32.shl (local.get $k) (i32.const 2))))
                (if (local.get $bias)
                  (then
                    (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
                    (local.set $b (f32.load (local.get $bias)))))
                (br $next)))
            (if (i32.lt_u (local.get $m) (local.get $ob)) (then unreachable))
            (local.set $end4 (i32.add (local.get $wo) (i32.shl (i32.and (local.get $k) (i32.const -4)) (i32.const 2))))
            (local.set $end (i32.add (local.get $wo) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $s (v128.const i32x4 0 0 0 0))
            (local.set $x (i32.add (local.get $ct) (i32.mul (i32.sub (local.get $m) (local.get $ob)) (local.get $k4))))
            (local.set $wt (local.get $wo))
            (block $fourDone
              (loop $four
                (br_if $fourDone (i32.ge_u (local.get $wt) (local.get $end4)))
                (local.set $s (f32x4.add (local.get $s) (f32x4.mul (v128.load (local.get $wt)) (v128.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 16)))
                (br $four)))
            (local.set $s0 (f32x4.extract_lane 0 (local.get $s)))
            (local.set $s1 (f32x4.extract_lane 1 (local.get $s)))
            (local.set $s2 (f32x4.extract_lane 2 (local.get $s)))
            (local.set $s3 (f32x4.extract_lane 3 (local.get $s)))
            (block $oneDone
              (loop $one
                (br_if $oneDone (i32.ge_u (local.get $wt) (local.get $end)))
                (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (local.get $wt)) (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (i32.const 4)))
                (local.set $wt (i32.add (local.get $wt) (i32.const 4)))
                (br $one)))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2)))
              (f32.add (f32.add (f32.add (local.get $s0) (local.get $s1)) (f32.add (local.get $s2) (local.get $s3))) (local.get $b)))))
        (br $points))))

  ;; ---- im2col, col2im and max pooling
  ;;
  ;; lrp/kernels.go's im2col and col2im for a convolution that is not flat
  ;; (a stride, or fewer output columns than input columns: the flat ones
  ;; copy and add whole planes, through memmove, add and sum9), and
  ;; lrp/forward.go's maxPool. With a stride of 2 in the columns, four
  ;; output columns j … j+3 at a time: the input columns they read,
  ;; 2j + x0, 2j + x0 + 2, … 2j + x0 + 6, are the even lanes of two loads,
  ;; picked by a shuffle, or for col2im updated by a select; where the
  ;; loads would reach past the input row, one column at a time.

  ;; im2col is lrp's im2col of one group, its input x [cg][h][w]: cols
  ;; [cg·kh·kw][oh·ow], row (c, u, v) holding x[c][i·sh + u·dh − pt]
  ;; [j·sw + v·dw − pl] at column i·ow + j, +0 where padded. The rows of
  ;; cols are written in order: r moves on by one output row at a time.
  (func $im2col (export "im2col")
    (param $r i32) (param $x i32) (param $cg i32) (param $h i32) (param $w i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $u i32) (local $v i32) (local $i i32) (local $j i32) (local $y i32)
    (local $x0 i32) (local $j0 i32) (local $j1 i32) (local $xc i32) (local $xr i32) (local $ow4 i32) (local $p i32)
    (if (i32.and (i32.and (i32.eq (local.get $sh) (i32.const 1)) (i32.eq (local.get $sw) (i32.const 1))) (i32.eq (local.get $ow) (local.get $w)))
      (then
        (call $im2col_flat (local.get $r) (local.get $x) (local.get $cg) (local.get $h) (local.get $w) (local.get $oh)
          (local.get $kh) (local.get $kw) (local.get $dh) (local.get $dw) (local.get $pt) (local.get $pl))
        (return)))
    (local.set $ow4 (i32.shl (local.get $ow) (i32.const 2)))
    (block $cDone
      (loop $cLoop
        (br_if $cDone (i32.ge_s (local.get $c) (local.get $cg)))
        (local.set $xc (i32.add (local.get $x) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $u (i32.const 0))
        (block $uDone
          (loop $uLoop
            (br_if $uDone (i32.ge_s (local.get $u) (local.get $kh)))
            (local.set $v (i32.const 0))
            (block $vDone
              (loop $vLoop
                (br_if $vDone (i32.ge_s (local.get $v) (local.get $kw)))
                ;; span: the output columns j0 ≤ j < j1 whose input column
                ;; j·sw + x0 lies in [0, w)
                (local.set $x0 (i32.sub (i32.mul (local.get $v) (local.get $dw)) (local.get $pl)))
                (local.set $j0 (select
                  (i32.div_s (i32.add (i32.sub (i32.const 0) (local.get $x0)) (i32.sub (local.get $sw) (i32.const 1))) (local.get $sw))
                  (i32.const 0)
                  (i32.lt_s (local.get $x0) (i32.const 0))))
                (local.set $j1 (i32.div_s (i32.add (i32.sub (local.get $w) (local.get $x0)) (i32.sub (local.get $sw) (i32.const 1))) (local.get $sw)))
                (local.set $j1 (call $min (select (local.get $j1) (i32.const 0) (i32.gt_s (local.get $j1) (i32.const 0))) (local.get $ow)))
                (local.set $j0 (call $min (local.get $j0) (local.get $j1)))
                (local.set $i (i32.const 0))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_s (local.get $i) (local.get $oh)))
                    (local.set $y (i32.sub (i32.add (i32.mul (local.get $i) (local.get $sh)) (i32.mul (local.get $u) (local.get $dh))) (local.get $pt)))
                    (if (i32.or (i32.lt_s (local.get $y) (i32.const 0)) (i32.ge_s (local.get $y) (local.get $h)))
                      (then (memory.fill (local.get $r) (i32.const 0) (local.get $ow4)))
                      (else
                        (local.set $xr (i32.add (local.get $xc) (i32.shl (i32.mul (local.get $y) (local.get $w)) (i32.const 2))))
                        ;; +0 before j0 and from j1 on
                        (local.set $j (i32.const 0))
                        (block $headDone
                          (loop $head
                            (br_if $headDone (i32.ge_s (local.get $j) (local.get $j0)))
                            (f32.store (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $head)))
                        (local.set $j (local.get $j1))
                        (block $tailDone
                          (loop $tail
                            (br_if $tailDone (i32.ge_s (local.get $j) (local.get $ow)))
                            (f32.store (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $tail)))
                        (local.set $j (local.get $j0))
                        (if (i32.and (i32.eq (local.get $sw) (i32.const 1)) (i32.lt_s (local.get $j0) (local.get $j1)))
                          (then
                            ;; four at a time (a memory.copy per row costs more
                            ;; than the copy of a short row), the rest below
                            (block $copyDone
                              (loop $copy
                                (br_if $copyDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $j1)))
                                (v128.store (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2)))
                                  (v128.load (i32.add (local.get $xr) (i32.shl (i32.add (local.get $j) (local.get $x0)) (i32.const 2)))))
                                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                                (br $copy)))))
                        (if (i32.eq (local.get $sw) (i32.const 2))
                          (then
                            (block $fourDone
                              (loop $four
                                (br_if $fourDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $j1)))
                                (br_if $fourDone (i32.ge_s (i32.add (i32.add (i32.shl (local.get $j) (i32.const 1)) (local.get $x0)) (i32.const 7)) (local.get $w)))
                                (local.set $p (i32.add (local.get $xr) (i32.shl (i32.add (i32.shl (local.get $j) (i32.const 1)) (local.get $x0)) (i32.const 2))))
                                (v128.store (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2)))
                                  (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $p)) (v128.load offset=16 (local.get $p))))
                                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                                (br $four)))))
                        (block $oneDone
                          (loop $one
                            (br_if $oneDone (i32.ge_s (local.get $j) (local.get $j1)))
                            (f32.store (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2)))
                              (f32.load (i32.add (local.get $xr) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $sw)) (local.get $x0)) (i32.const 2)))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $one)))))
                    (local.set $r (i32.add (local.get $r) (local.get $ow4)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $iLoop)))
                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                (br $vLoop)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $uLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop))))

  ;; im2col_flat is im2col for a flat convolution (stride 1, ow = w), as
  ;; lrp's im2colFlat: row (c, u, v) of cols, one flat vector over p =
  ;; i·w + j, is the plane c of x shifted by off = (u·dh − pt)·w + v·dw −
  ;; pl over the range lo ≤ p < hi from its first valid position to its
  ;; last (one memory.copy), +0 before lo, after hi (memory.fill) and at
  ;; the columns j ∉ [j0, j1) between two valid rows.
  (func $im2col_flat
    (param $r i32) (param $x i32) (param $cg i32) (param $h i32) (param $w i32) (param $oh i32)
    (param $kh i32) (param $kw i32) (param $dh i32) (param $dw i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $u i32) (local $v i32) (local $i i32) (local $q i32) (local $e i32) (local $np4 i32) (local $xc i32)
    (local $y0 i32) (local $x0 i32) (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32) (local $lo i32) (local $hi i32)
    (local.set $np4 (i32.shl (i32.mul (local.get $oh) (local.get $w)) (i32.const 2)))
    (block $cDone
      (loop $cLoop
        (br_if $cDone (i32.ge_s (local.get $c) (local.get $cg)))
        (local.set $xc (i32.add (local.get $x) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $u (i32.const 0))
        (block $uDone
          (loop $uLoop
            (br_if $uDone (i32.ge_s (local.get $u) (local.get $kh)))
            ;; the valid rows i0 ≤ i < i1: span(y0, 1, h, oh)
            (local.set $y0 (i32.sub (i32.mul (local.get $u) (local.get $dh)) (local.get $pt)))
            (local.set $i1 (call $min (select (i32.sub (local.get $h) (local.get $y0)) (i32.const 0) (i32.gt_s (i32.sub (local.get $h) (local.get $y0)) (i32.const 0))) (local.get $oh)))
            (local.set $i0 (call $min (select (i32.sub (i32.const 0) (local.get $y0)) (i32.const 0) (i32.lt_s (local.get $y0) (i32.const 0))) (local.get $i1)))
            (local.set $v (i32.const 0))
            (block $vDone
              (loop $vLoop
                (br_if $vDone (i32.ge_s (local.get $v) (local.get $kw)))
                ;; the valid columns j0 ≤ j < j1: span(x0, 1, w, w)
                (local.set $x0 (i32.sub (i32.mul (local.get $v) (local.get $dw)) (local.get $pl)))
                (local.set $j1 (call $min (select (i32.sub (local.get $w) (local.get $x0)) (i32.const 0) (i32.gt_s (i32.sub (local.get $w) (local.get $x0)) (i32.const 0))) (local.get $w)))
                (local.set $j0 (call $min (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))) (local.get $j1)))
                (if (i32.or (i32.ge_s (local.get $i0) (local.get $i1)) (i32.ge_s (local.get $j0) (local.get $j1)))
                  (then (memory.fill (local.get $r) (i32.const 0) (local.get $np4)))
                  (else
                    ;; lo, hi in bytes from r; the input at lo + off
                    (local.set $lo (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $w)) (local.get $j0)) (i32.const 2)))
                    (local.set $hi (i32.shl (i32.add (i32.mul (i32.sub (local.get $i1) (i32.const 1)) (local.get $w)) (local.get $j1)) (i32.const 2)))
                    (memory.copy (i32.add (local.get $r) (local.get $lo))
                      (i32.add (local.get $xc) (i32.add (local.get $lo) (i32.shl (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)) (i32.const 2))))
                      (i32.sub (local.get $hi) (local.get $lo)))
                    (memory.fill (local.get $r) (i32.const 0) (local.get $lo))
                    (memory.fill (i32.add (local.get $r) (local.get $hi)) (i32.const 0) (i32.sub (local.get $np4) (local.get $hi)))
                    ;; the gaps: row[i·w + j1 : (i+1)·w + j0] for i0 ≤ i < i1 − 1
                    (local.set $i (local.get $i0))
                    (block $gDone
                      (loop $gLoop
                        (br_if $gDone (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $i1)))
                        (local.set $q (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $w)) (local.get $j1)) (i32.const 2))))
                        (local.set $e (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (i32.const 1)) (local.get $w)) (local.get $j0)) (i32.const 2))))
                        (block $zDone
                          (loop $zLoop
                            (br_if $zDone (i32.ge_u (local.get $q) (local.get $e)))
                            (i32.store (local.get $q) (i32.const 0))
                            (local.set $q (i32.add (local.get $q) (i32.const 4)))
                            (br $zLoop)))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br $gLoop)))))
                (local.set $r (i32.add (local.get $r) (local.get $np4)))
                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                (br $vLoop)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $uLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop))))

  ;; col2im is lrp's col2im of one group for its channels c0 ≤ c < c1:
  ;; each entry of cols [cg·kh·kw][oh·ow] from row (c0, 0, 0) on, at r, is
  ;; added to the position of dst [cg][h][w] that im2col read it from,
  ;; dst + r in that order. Within one row of cols the positions are
  ;; distinct, so four at a time add in Go's order.
  (func $col2im (export "col2im")
    (param $dst i32) (param $r i32) (param $c0 i32) (param $c1 i32) (param $h i32) (param $w i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $u i32) (local $v i32) (local $i i32) (local $j i32) (local $y i32)
    (local $x0 i32) (local $j0 i32) (local $j1 i32) (local $xc i32) (local $xr i32) (local $ow4 i32) (local $p i32) (local $q i32)
    (local $a v128) (local $b v128) (local $rv v128)
    (if (i32.and (i32.and (i32.eq (local.get $sh) (i32.const 1)) (i32.eq (local.get $sw) (i32.const 1))) (i32.eq (local.get $ow) (local.get $w)))
      (then
        (call $col2im_flat (local.get $dst) (local.get $r) (local.get $c0) (local.get $c1) (local.get $h) (local.get $w) (local.get $oh)
          (local.get $kh) (local.get $kw) (local.get $dh) (local.get $dw) (local.get $pt) (local.get $pl))
        (return)))
    (local.set $ow4 (i32.shl (local.get $ow) (i32.const 2)))
    (local.set $c (local.get $c0))
    (block $cDone
      (loop $cLoop
        (br_if $cDone (i32.ge_s (local.get $c) (local.get $c1)))
        (local.set $xc (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $u (i32.const 0))
        (block $uDone
          (loop $uLoop
            (br_if $uDone (i32.ge_s (local.get $u) (local.get $kh)))
            (local.set $v (i32.const 0))
            (block $vDone
              (loop $vLoop
                (br_if $vDone (i32.ge_s (local.get $v) (local.get $kw)))
                (local.set $x0 (i32.sub (i32.mul (local.get $v) (local.get $dw)) (local.get $pl)))
                (local.set $j0 (select
                  (i32.div_s (i32.add (i32.sub (i32.const 0) (local.get $x0)) (i32.sub (local.get $sw) (i32.const 1))) (local.get $sw))
                  (i32.const 0)
                  (i32.lt_s (local.get $x0) (i32.const 0))))
                (local.set $j1 (i32.div_s (i32.add (i32.sub (local.get $w) (local.get $x0)) (i32.sub (local.get $sw) (i32.const 1))) (local.get $sw)))
                (local.set $j1 (call $min (select (local.get $j1) (i32.const 0) (i32.gt_s (local.get $j1) (i32.const 0))) (local.get $ow)))
                (local.set $j0 (call $min (local.get $j0) (local.get $j1)))
                (local.set $i (i32.const 0))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_s (local.get $i) (local.get $oh)))
                    (local.set $y (i32.sub (i32.add (i32.mul (local.get $i) (local.get $sh)) (i32.mul (local.get $u) (local.get $dh))) (local.get $pt)))
                    (if (i32.and (i32.and (i32.ge_s (local.get $y) (i32.const 0)) (i32.lt_s (local.get $y) (local.get $h)))
                          (i32.lt_s (local.get $j0) (local.get $j1)))
                      (then
                        (local.set $xr (i32.add (local.get $xc) (i32.shl (i32.mul (local.get $y) (local.get $w)) (i32.const 2))))
                        (local.set $j (local.get $j0))
                        (if (i32.eq (local.get $sw) (i32.const 1))
                          (then
                            (block $fourDone
                              (loop $four
                                (br_if $fourDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $j1)))
                                (local.set $p (i32.add (local.get $xr) (i32.shl (i32.add (local.get $j) (local.get $x0)) (i32.const 2))))
                                (v128.store (local.get $p)
                                  (f32x4.add (v128.load (local.get $p)) (v128.load (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2))))))
                                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                                (br $four)))))
                        (if (i32.eq (local.get $sw) (i32.const 2))
                          (then
                            (block $fourDone
                              (loop $four
                                (br_if $fourDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $j1)))
                                (br_if $fourDone (i32.ge_s (i32.add (i32.add (i32.shl (local.get $j) (i32.const 1)) (local.get $x0)) (i32.const 7)) (local.get $w)))
                                (local.set $p (i32.add (local.get $xr) (i32.shl (i32.add (i32.shl (local.get $j) (i32.const 1)) (local.get $x0)) (i32.const 2))))
                                (local.set $a (v128.load (local.get $p)))
                                (local.set $b (v128.load offset=16 (local.get $p)))
                                (local.set $rv (v128.load (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2)))))
                                ;; r0 r1 r2 r3 onto the even lanes of a and b
                                (v128.store (local.get $p) (v128.bitselect
                                  (f32x4.add (local.get $a) (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $rv) (local.get $rv)))
                                  (local.get $a)
                                  (v128.const i32x4 -1 0 -1 0)))
                                (v128.store offset=16 (local.get $p) (v128.bitselect
                                  (f32x4.add (local.get $b) (i8x16.shuffle 8 9 10 11 8 9 10 11 12 13 14 15 12 13 14 15 (local.get $rv) (local.get $rv)))
                                  (local.get $b)
                                  (v128.const i32x4 -1 0 -1 0)))
                                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                                (br $four)))))
                        (block $oneDone
                          (loop $one
                            (br_if $oneDone (i32.ge_s (local.get $j) (local.get $j1)))
                            (local.set $q (i32.add (local.get $xr) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $sw)) (local.get $x0)) (i32.const 2))))
                            (f32.store (local.get $q)
                              (f32.add (f32.load (local.get $q)) (f32.load (i32.add (local.get $r) (i32.shl (local.get $j) (i32.const 2))))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $one)))))
                    (local.set $r (i32.add (local.get $r) (local.get $ow4)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $iLoop)))
                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                (br $vLoop)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $uLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop))))

  ;; col2im_flat is col2im for a flat convolution (stride 1, ow = w), as
  ;; lrp's col2imFlat tap by tap: the positions of row (c, u, v) of cols
  ;; between two valid rows (the columns j ∉ [j0, j1)) set to +0, then the
  ;; row's range lo ≤ p < hi added to dst[c][p + off] in one call of add
  ;; (im2col_flat's lo, hi and off). Each dst value gets its taps in
  ;; col2im's order; the +0 added at those positions changes only a −0,
  ;; which col2im's dst does not hold.
  (func $col2im_flat
    (param $dst i32) (param $r i32) (param $c0 i32) (param $c1 i32) (param $h i32) (param $w i32) (param $oh i32)
    (param $kh i32) (param $kw i32) (param $dh i32) (param $dw i32) (param $pt i32) (param $pl i32)
    (local $c i32) (local $u i32) (local $v i32) (local $i i32) (local $q i32) (local $e i32) (local $np4 i32) (local $xc i32)
    (local $y0 i32) (local $x0 i32) (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32) (local $lo i32) (local $hi i32) (local $d i32)
    (local.set $np4 (i32.shl (i32.mul (local.get $oh) (local.get $w)) (i32.const 2)))
    (local.set $c (local.get $c0))
    (block $cDone
      (loop $cLoop
        (br_if $cDone (i32.ge_s (local.get $c) (local.get $c1)))
        (local.set $xc (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
        (local.set $u (i32.const 0))
        (block $uDone
          (loop $uLoop
            (br_if $uDone (i32.ge_s (local.get $u) (local.get $kh)))
            (local.set $y0 (i32.sub (i32.mul (local.get $u) (local.get $dh)) (local.get $pt)))
            (local.set $i1 (call $min (select (i32.sub (local.get $h) (local.get $y0)) (i32.const 0) (i32.gt_s (i32.sub (local.get $h) (local.get $y0)) (i32.const 0))) (local.get $oh)))
            (local.set $i0 (call $min (select (i32.sub (i32.const 0) (local.get $y0)) (i32.const 0) (i32.lt_s (local.get $y0) (i32.const 0))) (local.get $i1)))
            (local.set $v (i32.const 0))
            (block $vDone
              (loop $vLoop
                (br_if $vDone (i32.ge_s (local.get $v) (local.get $kw)))
                (local.set $x0 (i32.sub (i32.mul (local.get $v) (local.get $dw)) (local.get $pl)))
                (local.set $j1 (call $min (select (i32.sub (local.get $w) (local.get $x0)) (i32.const 0) (i32.gt_s (i32.sub (local.get $w) (local.get $x0)) (i32.const 0))) (local.get $w)))
                (local.set $j0 (call $min (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))) (local.get $j1)))
                (if (i32.and (i32.lt_s (local.get $i0) (local.get $i1)) (i32.lt_s (local.get $j0) (local.get $j1)))
                  (then
                    ;; the gaps: row[i·w + j1 : (i+1)·w + j0] for i0 ≤ i < i1 − 1
                    (local.set $i (local.get $i0))
                    (block $gDone
                      (loop $gLoop
                        (br_if $gDone (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $i1)))
                        (local.set $q (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $w)) (local.get $j1)) (i32.const 2))))
                        (local.set $e (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (i32.const 1)) (local.get $w)) (local.get $j0)) (i32.const 2))))
                        (block $zDone
                          (loop $zLoop
                            (br_if $zDone (i32.ge_u (local.get $q) (local.get $e)))
                            (i32.store (local.get $q) (i32.const 0))
                            (local.set $q (i32.add (local.get $q) (i32.const 4)))
                            (br $zLoop)))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br $gLoop)))
                    ;; dst[c][p + off] += row[p], lo ≤ p < hi (floats)
                    (local.set $lo (i32.add (i32.mul (local.get $i0) (local.get $w)) (local.get $j0)))
                    (local.set $hi (i32.add (i32.mul (i32.sub (local.get $i1) (i32.const 1)) (local.get $w)) (local.get $j1)))
                    (local.set $d (i32.add (local.get $xc) (i32.shl (i32.add (local.get $lo) (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0))) (i32.const 2))))
                    (call $add (local.get $d) (local.get $d) (i32.add (local.get $r) (i32.shl (local.get $lo) (i32.const 2))) (i32.sub (local.get $hi) (local.get $lo)))))
                (local.set $r (i32.add (local.get $r) (local.get $np4)))
                (local.set $v (i32.add (local.get $v) (i32.const 1)))
                (br $vLoop)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $uLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop))))

  ;; max_pool is lrp's maxPool: dst [c][oh][ow] the maximum of each window
  ;; of x [c][h][w] and arg the index into x of the first maximal element
  ;; in row-major window order (a candidate replaces the best only if
  ;; strictly greater, so ties and NaN keep the earlier one), padded
  ;; positions never taking part. Go passes only pools whose every window
  ;; holds an input (padding smaller than the window). Four windows at a
  ;; time where all four lie inside the columns, with a column stride of 2;
  ;; the best values and their indices are kept in lanes, updated by
  ;; selects.
  (func $max_pool (export "max_pool")
    (param $dst i32) (param $arg i32) (param $x i32) (param $c i32) (param $h i32) (param $w i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (local $ch i32) (local $base i32) (local $xc i32) (local $i i32) (local $j i32) (local $y0 i32) (local $y1 i32)
    (local $y i32) (local $x0 i32) (local $x1 i32) (local $k i32) (local $p i32) (local $bi i32)
    (local $best f32) (local $e f32) (local $bv v128) (local $iv v128) (local $vv v128) (local $m v128)
    (if (i32.and
          (i32.and (i32.and (i32.eq (local.get $kh) (i32.const 2)) (i32.eq (local.get $kw) (i32.const 2)))
            (i32.and (i32.eq (local.get $sh) (i32.const 2)) (i32.eq (local.get $sw) (i32.const 2))))
          (i32.and (i32.eqz (i32.or (local.get $pt) (local.get $pl)))
            (i32.and (i32.le_s (i32.shl (local.get $oh) (i32.const 1)) (local.get $h))
              (i32.le_s (i32.shl (local.get $ow) (i32.const 1)) (local.get $w)))))
      (then
        (call $max_pool2 (local.get $dst) (local.get $arg) (local.get $x) (local.get $c) (local.get $h) (local.get $w) (local.get $oh) (local.get $ow))
        (return)))
    (block $chDone
      (loop $chLoop
        (br_if $chDone (i32.ge_s (local.get $ch) (local.get $c)))
        (local.set $base (i32.mul (local.get $ch) (i32.mul (local.get $h) (local.get $w))))
        (local.set $xc (i32.add (local.get $x) (i32.shl (local.get $base) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_s (local.get $i) (local.get $oh)))
            (local.set $y0 (i32.sub (i32.mul (local.get $i) (local.get $sh)) (local.get $pt)))
            (local.set $y1 (call $min (i32.add (local.get $y0) (local.get $kh)) (local.get $h)))
            (local.set $y0 (select (local.get $y0) (i32.const 0) (i32.gt_s (local.get $y0) (i32.const 0))))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_s (local.get $j) (local.get $ow)))
                (local.set $x0 (i32.sub (i32.mul (local.get $j) (local.get $sw)) (local.get $pl)))
                (if (i32.and
                      (i32.and (i32.eq (local.get $sw) (i32.const 2)) (i32.ge_s (local.get $x0) (i32.const 0)))
                      (i32.and (i32.le_s (i32.add (local.get $j) (i32.const 4)) (local.get $ow))
                        (i32.le_s (i32.add (i32.add (local.get $x0) (local.get $kw)) (i32.const 7)) (local.get $w))))
                  (then
                    ;; windows j … j+3: columns x0 + 2l + dx, l = 0 … 3
                    (local.set $p (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)))
                    (local.set $bv (call $even (i32.add (local.get $xc) (i32.shl (local.get $p) (i32.const 2)))))
                    (local.set $iv (i32x4.add (i32x4.splat (local.get $p)) (v128.const i32x4 0 2 4 6)))
                    (local.set $y (local.get $y0))
                    (block $yDone
                      (loop $yLoop
                        (br_if $yDone (i32.ge_s (local.get $y) (local.get $y1)))
                        (local.set $p (i32.add (i32.mul (local.get $y) (local.get $w)) (local.get $x0)))
                        (local.set $k (i32.const 0))
                        (block $kDone
                          (loop $kLoop
                            (br_if $kDone (i32.ge_s (local.get $k) (local.get $kw)))
                            (local.set $vv (call $even (i32.add (local.get $xc) (i32.shl (local.get $p) (i32.const 2)))))
                            (local.set $m (f32x4.gt (local.get $vv) (local.get $bv)))
                            (local.set $bv (v128.bitselect (local.get $vv) (local.get $bv) (local.get $m)))
                            (local.set $iv (v128.bitselect
                              (i32x4.add (i32x4.splat (local.get $p)) (v128.const i32x4 0 2 4 6))
                              (local.get $iv)
                              (local.get $m)))
                            (local.set $p (i32.add (local.get $p) (i32.const 1)))
                            (local.set $k (i32.add (local.get $k) (i32.const 1)))
                            (br $kLoop)))
                        (local.set $y (i32.add (local.get $y) (i32.const 1)))
                        (br $yLoop)))
                    (v128.store (local.get $dst) (local.get $bv))
                    (v128.store (local.get $arg) (i32x4.add (local.get $iv) (i32x4.splat (local.get $base))))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                    (local.set $arg (i32.add (local.get $arg) (i32.const 16)))
                    (local.set $j (i32.add (local.get $j) (i32.const 4))))
                  (else
                    ;; one window: columns max(x0, 0) ≤ x < min(x0 + kw, w)
                    (local.set $x1 (call $min (i32.add (local.get $x0) (local.get $kw)) (local.get $w)))
                    (local.set $x0 (select (local.get $x0) (i32.const 0) (i32.gt_s (local.get $x0) (i32.const 0))))
                    (local.set $bi (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)))
                    (local.set $best (f32.load (i32.add (local.get $xc) (i32.shl (local.get $bi) (i32.const 2)))))
                    (local.set $y (local.get $y0))
                    (block $yDone
                      (loop $yLoop
                        (br_if $yDone (i32.ge_s (local.get $y) (local.get $y1)))
                        (local.set $p (i32.add (i32.mul (local.get $y) (local.get $w)) (local.get $x0)))
                        (local.set $k (local.get $x0))
                        (block $kDone
                          (loop $kLoop
                            (br_if $kDone (i32.ge_s (local.get $k) (local.get $x1)))
                            (local.set $e (f32.load (i32.add (local.get $xc) (i32.shl (local.get $p) (i32.const 2)))))
                            (if (f32.gt (local.get $e) (local.get $best))
                              (then
                                (local.set $best (local.get $e))
                                (local.set $bi (local.get $p))))
                            (local.set $p (i32.add (local.get $p) (i32.const 1)))
                            (local.set $k (i32.add (local.get $k) (i32.const 1)))
                            (br $kLoop)))
                        (local.set $y (i32.add (local.get $y) (i32.const 1)))
                        (br $yLoop)))
                    (f32.store (local.get $dst) (local.get $best))
                    (i32.store (local.get $arg) (i32.add (local.get $base) (local.get $bi)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $arg (i32.add (local.get $arg) (i32.const 4)))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))))
                (br $jLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $chLoop))))

  ;; max_pool2 is max_pool for 2×2 windows with stride 2 and no padding
  ;; whose windows all lie inside the input (2·oh ≤ h, 2·ow ≤ w), as
  ;; lrp's maxPool2: four windows j … j+3 of output row i at a time, from
  ;; two vectors of each of the input rows 2i and 2i + 1 (their even and
  ;; odd lanes the windows' left and right columns), the candidates taken
  ;; in the window's row-major order and kept only when strictly greater.
  ;; A row's last windows, when ow is not a multiple of 4, are those of
  ;; the four ending at ow (computed again, the same values); a row of
  ;; fewer than four windows goes one window at a time.
  (func $max_pool2
    (param $dst i32) (param $arg i32) (param $x i32) (param $c i32) (param $h i32) (param $w i32) (param $oh i32) (param $ow i32)
    (local $ch i32) (local $i i32) (local $j i32) (local $p0 i32) (local $r0 i32) (local $r1 i32) (local $q i32) (local $o i32) (local $n i32)
    (local $best v128) (local $idx v128) (local $iv v128) (local $v v128) (local $lo v128) (local $hi v128) (local $m v128) (local $w4 i32)
    (local.set $w4 (i32.shl (local.get $w) (i32.const 2)))
    (block $chDone
      (loop $chLoop
        (br_if $chDone (i32.ge_s (local.get $ch) (local.get $c)))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_s (local.get $i) (local.get $oh)))
            ;; p0: the flat index of input row 2i of channel ch
            (local.set $p0 (i32.mul (i32.add (i32.mul (local.get $ch) (local.get $h)) (i32.shl (local.get $i) (i32.const 1))) (local.get $w)))
            (local.set $r0 (i32.add (local.get $x) (i32.shl (local.get $p0) (i32.const 2))))
            (local.set $r1 (i32.add (local.get $r0) (local.get $w4)))
            ;; o: the flat index of output row i of channel ch
            (local.set $o (i32.mul (i32.add (i32.mul (local.get $ch) (local.get $oh)) (local.get $i)) (local.get $ow)))
            (local.set $j (i32.const 0))
            (if (i32.ge_s (local.get $ow) (i32.const 4))
              (then
                (block $jDone
                  (loop $jLoop
                    (if (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $ow))
                      (then
                        (br_if $jDone (i32.ge_s (local.get $j) (local.get $ow)))
                        (local.set $j (i32.sub (local.get $ow) (i32.const 4)))))
                    (local.set $q (i32.shl (local.get $j) (i32.const 3)))
                    (local.set $iv (i32x4.add (i32x4.splat (i32.add (local.get $p0) (i32.shl (local.get $j) (i32.const 1)))) (v128.const i32x4 0 2 4 6)))
                    (local.set $lo (v128.load (i32.add (local.get $r0) (local.get $q))))
                    (local.set $hi (v128.load offset=16 (i32.add (local.get $r0) (local.get $q))))
                    (local.set $best (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $lo) (local.get $hi)))
                    (local.set $idx (local.get $iv))
                    (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $lo) (local.get $hi)))
                    (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                    (local.set $idx (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 1 1 1 1)) (local.get $idx) (local.get $m)))
                    (local.set $lo (v128.load (i32.add (local.get $r1) (local.get $q))))
                    (local.set $hi (v128.load offset=16 (i32.add (local.get $r1) (local.get $q))))
                    (local.set $iv (i32x4.add (local.get $iv) (i32x4.splat (local.get $w))))
                    (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $lo) (local.get $hi)))
                    (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                    (local.set $idx (v128.bitselect (local.get $iv) (local.get $idx) (local.get $m)))
                    (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $lo) (local.get $hi)))
                    (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                    (local.set $idx (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 1 1 1 1)) (local.get $idx) (local.get $m)))
                    (local.set $n (i32.shl (i32.add (local.get $o) (local.get $j)) (i32.const 2)))
                    (v128.store (i32.add (local.get $dst) (local.get $n)) (local.get $best))
                    (v128.store (i32.add (local.get $arg) (local.get $n)) (local.get $idx))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $jLoop)))))
            ;; fewer than four windows: one at a time
            (block $sDone
              (loop $sLoop
                (br_if $sDone (i32.ge_s (local.get $j) (local.get $ow)))
                (call $max_pool2_one (local.get $dst) (local.get $arg) (local.get $x) (i32.add (local.get $p0) (i32.shl (local.get $j) (i32.const 1))) (local.get $w)
                  (i32.shl (i32.add (local.get $o) (local.get $j)) (i32.const 2)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $sLoop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $chLoop))))

  ;; max_pool2_one is one window of max_pool2, its top left input at the
  ;; flat index p, its output at byte n of dst and arg.
  (func $max_pool2_one (param $dst i32) (param $arg i32) (param $x i32) (param $p i32) (param $w i32) (param $n i32)
    (local $best f32) (local $bi i32) (local $e f32) (local $q i32)
    (local.set $best (f32.load (i32.add (local.get $x) (i32.shl (local.get $p) (i32.const 2)))))
    (local.set $bi (local.get $p))
    (local.set $q (i32.add (local.get $p) (i32.const 1)))
    (local.set $e (f32.load (i32.add (local.get $x) (i32.shl (local.get $q) (i32.const 2)))))
    (if (f32.gt (local.get $e) (local.get $best)) (then (local.set $best (local.get $e)) (local.set $bi (local.get $q))))
    (local.set $q (i32.add (local.get $p) (local.get $w)))
    (local.set $e (f32.load (i32.add (local.get $x) (i32.shl (local.get $q) (i32.const 2)))))
    (if (f32.gt (local.get $e) (local.get $best)) (then (local.set $best (local.get $e)) (local.set $bi (local.get $q))))
    (local.set $q (i32.add (local.get $q) (i32.const 1)))
    (local.set $e (f32.load (i32.add (local.get $x) (i32.shl (local.get $q) (i32.const 2)))))
    (if (f32.gt (local.get $e) (local.get $best)) (then (local.set $best (local.get $e)) (local.set $bi (local.get $q))))
    (f32.store (i32.add (local.get $dst) (local.get $n)) (local.get $best))
    (i32.store (i32.add (local.get $arg) (local.get $n)) (local.get $bi)))

  ;; even returns the floats at p, p + 8, p + 16 and p + 24 (bytes): the
  ;; even lanes of the two vectors at p.
  (func $even (param $p i32) (result v128)
    (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $p)) (v128.load offset=16 (local.get $p))))


  ;; ==== The heatmap and the picture (packages heatmap and preprocess)
  ;;
  ;;   heat_bounds  heatmap/render.go Draw's first pass: the bounds of the
  ;;                pixels' channel sums, and whether every sum is finite
  ;;   heat_draw    Draw's second pass: palette colors and mask opacities
  ;;   picture      preprocess/picture.go Picture: the model input as RGBA
  ;;
  ;; Each does the first n pixels, n a multiple of 4, four at a time; Go
  ;; does the rest (heatmap/simd_wasm.go, preprocess/simd_wasm.go), with the
  ;; same operations in the same order, so both give the same bytes
  ;; (heatmap's and preprocess's simd_js_test.go).

  ;; heat_sum returns the channel sums of the four pixels at rel, whose
  ;; planes lie hw4 bytes apart, summed in Go's order (pixel: channel 0,
  ;; then 1, …), after the sign filter: where pos is all ones (Positive) a
  ;; sum v < 0 is drawn as +0, where neg is (Negative) v > 0 is.
  (func $heat_sum (param $rel i32) (param $c i32) (param $hw4 i32) (param $pos v128) (param $neg v128) (result v128)
    (local $v v128) (local $k i32)
    (local.set $v (v128.load (local.get $rel)))
    (local.set $k (i32.const 1))
    (block $done
      (loop $ch
        (br_if $done (i32.ge_s (local.get $k) (local.get $c)))
        (local.set $rel (i32.add (local.get $rel) (local.get $hw4)))
        (local.set $v (f32x4.add (local.get $v) (v128.load (local.get $rel))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ch)))
    (v128.andnot (local.get $v)
      (v128.or
        (v128.and (local.get $pos) (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0)))
        (v128.and (local.get $neg) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))))

  ;; signMask is all ones when sign is want (heatmap's Sign: 1 Positive, 2
  ;; Negative), else zero.
  (func $signMask (param $sign i32) (param $want i32) (result v128)
    (i32x4.splat (i32.sub (i32.const 0) (i32.eq (local.get $sign) (local.get $want)))))

  ;; heat_bounds writes the least and the largest channel sum of the
  ;; pixels 0 ≤ i < n of rel ([c][hw] float32) after the sign filter to
  ;; out[0] and out[1] (float32), and returns 1 if every sum is finite, 0
  ;; if not (then Go redoes the pass, to name the pixel). min and max take
  ;; −0 < +0, as Go's do, so the order of the pixels does not matter.
  (func $heat_bounds (export "heat_bounds")
    (param $rel i32) (param $c i32) (param $n i32) (param $hw i32) (param $sign i32) (param $out i32) (result i32)
    (local $i i32) (local $end i32) (local $hw4 i32) (local $pos v128) (local $neg v128)
    (local $v v128) (local $lo v128) (local $hi v128) (local $ok v128)
    (local.set $hw4 (i32.shl (local.get $hw) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pos (call $signMask (local.get $sign) (i32.const 1)))
    (local.set $neg (call $signMask (local.get $sign) (i32.const 2)))
    (local.set $lo (v128.const f32x4 inf inf inf inf))
    (local.set $hi (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $ok (v128.const i32x4 -1 -1 -1 -1))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (call $heat_sum (i32.add (local.get $rel) (local.get $i)) (local.get $c) (local.get $hw4) (local.get $pos) (local.get $neg)))
        ;; |v| ≤ MaxFloat32 is false for NaN and ±Inf.
        (local.set $ok (v128.and (local.get $ok)
          (f32x4.le (f32x4.abs (local.get $v)) (v128.const f32x4 0x1.fffffep+127 0x1.fffffep+127 0x1.fffffep+127 0x1.fffffep+127))))
        (local.set $lo (f32x4.min (local.get $lo) (local.get $v)))
        (local.set $hi (f32x4.max (local.get $hi) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $px)))
    (f32.store (local.get $out)
      (f32.min
        (f32.min (f32x4.extract_lane 0 (local.get $lo)) (f32x4.extract_lane 1 (local.get $lo)))
        (f32.min (f32x4.extract_lane 2 (local.get $lo)) (f32x4.extract_lane 3 (local.get $lo)))))
    (f32.store offset=4 (local.get $out)
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $hi)) (f32x4.extract_lane 1 (local.get $hi)))
        (f32.max (f32x4.extract_lane 2 (local.get $hi)) (f32x4.extract_lane 3 (local.get $hi)))))
    (i32x4.all_true (local.get $ok)))

  ;; heat_draw colors the pixels 0 ≤ i < n of rel ([c][hw] float32, every
  ;; sum finite) into heat (RGBA) and, unless mask is 0, their opacities
  ;; into mask, as Draw's second pass does:
  ;;
  ;;   heat[i] = pal[paletteIndex(v·a + b)],  paletteIndex(t) = clamp(trunc(t·256), 0, 255)
  ;;   mask[i] = roundToEven(255 · √(|v| / peak))
  ;;
  ;; with v the pixel's sum after the sign filter, pal 256 colors as
  ;; little-endian uint32 (r, g, b, 255), and peak = max |v| > 0. t·256 is
  ;; truncated with saturation (NaN to 0), then clamped: Go's
  ;; paletteIndex. The opacity is computed in float64, as Go's.
  (func $heat_draw (export "heat_draw")
    (param $heat i32) (param $mask i32) (param $rel i32) (param $c i32) (param $n i32) (param $hw i32) (param $sign i32)
    (param $a f32) (param $b f32) (param $pal i32) (param $peak f64)
    (local $i i32) (local $end i32) (local $hw4 i32) (local $pos v128) (local $neg v128)
    (local $v v128) (local $idx v128) (local $d i32) (local $va v128) (local $vb v128) (local $pk v128)
    (local.set $hw4 (i32.shl (local.get $hw) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pos (call $signMask (local.get $sign) (i32.const 1)))
    (local.set $neg (call $signMask (local.get $sign) (i32.const 2)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $pk (f64x2.splat (local.get $peak)))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (call $heat_sum (i32.add (local.get $rel) (local.get $i)) (local.get $c) (local.get $hw4) (local.get $pos) (local.get $neg)))
        (local.set $idx
          (i32x4.shl
            (i32x4.min_s
              (i32x4.max_s
                (i32x4.trunc_sat_f32x4_s
                  (f32x4.mul
                    (f32x4.add (f32x4.mul (local.get $v) (local.get $va)) (local.get $vb))
                    (v128.const f32x4 256 256 256 256)))
                (v128.const i32x4 0 0 0 0))
              (v128.const i32x4 255 255 255 255))
            (i32.const 2)))
        (local.set $d (i32.add (local.get $heat) (local.get $i)))
        (i32.store (local.get $d) (i32.load (i32.add (local.get $pal) (i32x4.extract_lane 0 (local.get $idx)))))
        (i32.store offset=4 (local.get $d) (i32.load (i32.add (local.get $pal) (i32x4.extract_lane 1 (local.get $idx)))))
        (i32.store offset=8 (local.get $d) (i32.load (i32.add (local.get $pal) (i32x4.extract_lane 2 (local.get $idx)))))
        (i32.store offset=12 (local.get $d) (i32.load (i32.add (local.get $pal) (i32x4.extract_lane 3 (local.get $idx)))))
        (if (local.get $mask)
          (then
            ;; The opacities of pixels 0, 1 and of 2, 3, as bytes 0 and 4
            ;; of each half's int32 lanes.
            (i32.store (i32.add (local.get $mask) (i32.shr_u (local.get $i) (i32.const 2)))
              (i32x4.extract_lane 0
                (i8x16.shuffle 0 4 16 20 0 0 0 0 0 0 0 0 0 0 0 0
                  (call $opacity2 (f64x2.promote_low_f32x4 (local.get $v)) (local.get $pk))
                  (call $opacity2
                    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 0 0 0 0 0 0 0 (local.get $v) (local.get $v)))
                    (local.get $pk)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $px))))

  ;; opacity2 returns the opacities of two sums v (float64) for peak, as
  ;; int32 lanes 0 and 1: roundToEven(255 · √(|v| / peak)), in 0…255.
  (func $opacity2 (param $v v128) (param $peak v128) (result v128)
    (i32x4.trunc_sat_f64x2_s_zero
      (f64x2.nearest
        (f64x2.mul (v128.const f64x2 255 255)
          (f64x2.sqrt (f64x2.div (f64x2.abs (local.get $v)) (local.get $peak)))))))

  ;; picture draws the pixels 0 ≤ i < n of the model input x ([c][plane]
  ;; float32) into dst (RGBA) as Picture does: drawn = 3 channels as RGB,
  ;; or channel 0 as gray, each
  ;;
  ;;   p = roundToEven(min(max((x·std + mean − low)·scale, 0), 255))
  ;;
  ;; in float64 (NaN to 0), with (mean, std) of channel k at p + 16k
  ;; (float64) and low, scale at p + 48.
  (func $picture (export "picture")
    (param $dst i32) (param $x i32) (param $n i32) (param $plane i32) (param $drawn i32) (param $p i32)
    (local $i i32) (local $end i32) (local $pl4 i32) (local $low f64) (local $scale f64) (local $rgba v128) (local $at i32)
    (local.set $pl4 (i32.shl (local.get $plane) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $low (f64.load offset=48 (local.get $p)))
    (local.set $scale (f64.load offset=56 (local.get $p)))
    (block $done
      (loop $px
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $at (i32.add (local.get $x) (local.get $i)))
        (local.set $rgba (call $channel4 (local.get $at) (f64.load (local.get $p)) (f64.load offset=8 (local.get $p)) (local.get $low) (local.get $scale)))
        (if (i32.eq (local.get $drawn) (i32.const 3))
          (then
            (local.set $at (i32.add (local.get $at) (local.get $pl4)))
            (local.set $rgba (v128.or (local.get $rgba)
              (i32x4.shl (call $channel4 (local.get $at) (f64.load offset=16 (local.get $p)) (f64.load offset=24 (local.get $p)) (local.get $low) (local.get $scale)) (i32.const 8))))
            (local.set $at (i32.add (local.get $at) (local.get $pl4)))
            (local.set $rgba (v128.or (local.get $rgba)
              (i32x4.shl (call $channel4 (local.get $at) (f64.load offset=32 (local.get $p)) (f64.load offset=40 (local.get $p)) (local.get $low) (local.get $scale)) (i32.const 16)))))
          (else
            (local.set $rgba (i32x4.mul (local.get $rgba) (v128.const i32x4 0x010101 0x010101 0x010101 0x010101)))))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (v128.or (local.get $rgba) (v128.const i32x4 0xff000000 0xff000000 0xff000000 0xff000000)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $px))))

  ;; channel4 returns the bytes of the four values at x (float32) of one
  ;; channel, as int32 lanes: picture's p with mean m and std s.
  (func $channel4 (param $x i32) (param $m f64) (param $s f64) (param $low f64) (param $scale f64) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (call $byte2 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))) (local.get $m) (local.get $s) (local.get $low) (local.get $scale))
      (call $byte2 (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $x))) (local.get $m) (local.get $s) (local.get $low) (local.get $scale))))

  ;; byte2 is channel4 for two values (float64), in int32 lanes 0 and 1.
  ;; pmax(0, v) is v where 0 < v, else 0 (NaN too); pmin(v, 255) is 255
  ;; where 255 < v: Go's clampByte.
  (func $byte2 (param $v v128) (param $m f64) (param $s f64) (param $low f64) (param $scale f64) (result v128)
    (i32x4.trunc_sat_f64x2_s_zero
      (f64x2.nearest
        (f64x2.pmin
          (f64x2.pmax (v128.const f64x2 0 0)
            (f64x2.mul
              (f64x2.sub
                (f64x2.add (f64x2.mul (local.get $v) (f64x2.splat (local.get $s))) (f64x2.splat (local.get $m)))
                (f64x2.splat (local.get $low)))
              (f64x2.splat (local.get $scale))))
          (v128.const f64x2 255 255)))))
)
