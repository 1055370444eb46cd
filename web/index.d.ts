// Type declarations of the memcom package (web/index.js, and web/inline.js
// for 'memcom/inline'). They need no DOM lib: a Node-only project (lib es2022,
// types node) compiles them without skipLibCheck.

declare global {
  // The one name of the WebAssembly namespace these types use. It merges with
  // the namespace of the DOM lib (where Module is the same empty interface)
  // and declares it for a project without that lib.
  namespace WebAssembly {
    interface Module {}
  }
}

/**
 * Where a model (or table) file comes from. A string is a URL, or in Node a
 * file path. A ReadableStream delivers the file's bytes (Uint8Array chunks).
 */
export type ModelSource = string | URL | Response | ReadableStream<Uint8Array> | Blob | ArrayBuffer | ArrayBufferView;

/** Where the WebAssembly module comes from. A string is a URL, or in Node a file path. */
export type WasmSource = string | URL | Response | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

export interface LoadOptions {
  /**
   * The WebAssembly module to use instead of the packaged one
   * (default: `new URL('../dist/memcom-simd.wasm', import.meta.url)`, or
   * `memcom.wasm` without SIMD). Either one module (used whatever `simd` says),
   * or one per build: `{ simd, scalar }`. Wins over `wasmBase`.
   */
  wasm?: WasmSource | { simd?: WasmSource; scalar?: WasmSource };
  /**
   * The folder that holds the package's .wasm files (`memcom-simd.wasm`,
   * `memcom.wasm`, `memcom-writer.wasm`, copied from `node_modules/memcom/dist/`):
   * a URL, a URL string (relative to the page or worker) or, in Node, a
   * directory path. For bundlers that do not copy the files (esbuild, Rollup,
   * Node bundles) and for a CDN. Default: the folder given to setWasmBase(),
   * else beside the package's code.
   */
  wasmBase?: string | URL;
  /**
   * `'auto'` (default): the SIMD build when the engine validates WebAssembly SIMD;
   * `true`: require it (MemcomError 'wasm' if unsupported); `false`: the scalar build.
   */
  simd?: 'auto' | boolean;
  /**
   * The most WebAssembly memory this model may take: its file plus the working
   * memory its rankings may allocate (`info.workingBytes`). A file larger than
   * this is refused before it is read where its size is known (file stat,
   * Content-Length, Blob size); the file plus its working memory is checked
   * once the file is open (opening allocates nothing per item), before any
   * ranking. MemcomError 'too_large' either way. Files are also refused when
   * larger than what WebAssembly memory can still hold (4 GiB minus the memory
   * in use). Default: no limit of its own.
   */
  maxBytes?: number;
  /**
   * Refuse a model of more items than this (MemcomError 'too_large'), checked
   * once the file is open, before any ranking. Every whole-catalogue ranking
   * costs time and working memory in proportion to n, and a file of a few
   * hundred bytes may declare n = 2^31 - 1 items (a hash table stores nothing
   * per item). Default: 2^24 (16,777,216) for a model fetched from the network
   * (a URL other than `file:`, a URL string in a browser, a Response); no
   * limit (the format's 2^31 - 1) for bytes, Blobs, ReadableStreams and Node
   * files. `Infinity` lifts it.
   */
  maxItems?: number;
  /**
   * Cancels the load, as fetch's `signal` does, whatever the source: the
   * promise rejects with MemcomError 'aborted' (the signal's reason as its
   * `cause`) as soon as the signal aborts, even while a download or stream
   * stalls, and every byte of WebAssembly memory the load had allocated is
   * freed. Already aborted: rejects at once, before anything is read. A Node
   * file read stops after the current read (at most 8 MiB). Once the promise
   * has resolved, an abort has no effect.
   */
  signal?: AbortSignal;
  /**
   * f32 and f16 output tables: keep an int8 copy of the output rows (n·d bytes
   * for a full table, m·d for hash/memcom, plus 4 bytes per row; built by the
   * load, see docs/SECURITY.md's cost model) to pre-rank on with integer arithmetic and a
   * proven error bound before scoring the candidates exactly. Rankings are
   * identical either way; `false` saves that memory and ranks in one exact pass.
   * Default `true`. (int8 tables pre-rank on their own rows, with no copy; the
   * non-SIMD fallback build never pre-ranks; a shared table whose rows hold
   * fewer than 1.5 values per item, rows × d < 1.5 n, gets no copy, since there
   * it costs more time than it saves.)
   */
  int8Index?: boolean;
  /**
   * hash and memcom output tables with at least two items per bucket: keep
   * per-bucket bounds on the scores (16 bytes per bucket, plus 4 bytes per item
   * and per bucket unless buckets are `i mod m`; memcom tables: 12 bytes per
   * item, each bucket's items in order of w with their bias, and up to twice
   * the per-bucket bytes for buckets mixing signs of w; built by the load) so that ranking scores only the buckets whose
   * bound can still reach the top k (the bounds hold exactly: rounding is
   * monotone). Rankings are identical either way; when the bounds prune too
   * little for a query every item is scored. `false` saves that memory.
   * Default `true`.
   */
  bucketBounds?: boolean;
}

/** An item: its id string as stored in the model, or its integer index in [0, n). */
export type Item = string | number;

/** A list of items (ids and indices may be mixed). */
export type Items = ArrayLike<Item> | Iterable<Item>;

/** One ranked item. */
export interface Ranked {
  /** The item's id string, or null when the file stores no ids. */
  id: string | null;
  /** The item's index in [0, n). */
  index: number;
  /** Its score (a dot product plus bias, or a cosine), as computed in float32. */
  score: number;
}

export interface RankOptions {
  /** How many items to return: a positive integer (default 10); clipped to the number of eligible items. */
  k?: number;
  /** Items never returned. */
  exclude?: Items | null;
  /** Rank only these items (default: all). */
  candidates?: Items | null;
}

export interface RecommendOptions extends RankOptions {
  /** Items never returned; default: the history itself. Pass `[]` to keep history items. */
  exclude?: Items | null;
  /**
   * How much of what every user gets to keep, in [0, 1]: items are ranked by
   * (u - l u0) . E_out[i] + (1 - l) * bias[i], l = (1 - p) * min(1, 5 / |H|), u0 the empty
   * history's user vector, |H| the distinct history items. 1 ranks as trained; lower values
   * follow the history more (in full up to 5 items). Default: `defaultPopularity` (1 with
   * `rerankDepth`). A ranker ranks by s_i(u) - l * s_i(u0) with its own score s_i (the same as
   * the above for a model without a head). Only 1 with `rerankDepth` (else 'invalid_argument').
   */
  popularity?: number;
  /**
   * A ranker (`info.ranker`): rank two-stage, the exact top max(rerankDepth, k)
   * eligible items by the factorised score E_out[i] . u + bias[i], re-ranked by
   * the head's score. Omitted: every eligible item (or candidate) by the head's score.
   */
  rerankDepth?: number;
}

export interface RerankOptions {
  /** How many to return (default: every distinct candidate). */
  k?: number;
}

export interface TopKOptions extends RankOptions {
  /** Add the output bias to the scores (default true). */
  bias?: boolean;
  /** Rank by the cosine between the vector and each embedding instead (ignores the bias). */
  cosine?: boolean;
}

export type TableKind = 'full' | 'hash' | 'qr' | 'memcom';
export type RowDtype = 'f32' | 'f16' | 'i8';
export type ScalarDtype = 'f32' | 'f16';
export type Activation = 'tanh' | 'relu' | 'none';
/** How buildModel stores item ids (ModelSpec.idEncoding). */
export type IdEncoding = 'strings' | 'compact';

/** How one item table is stored. */
export interface TableInfo {
  kind: TableKind;
  /** Items. */
  n: number;
  /** Rows of the shared table (full: n; qr: rows of the remainder table). */
  m: number;
  /** Embedding dimension. */
  d: number;
  /** Storage type of the rows (i8: int8 with an f32 scale per row). */
  dtype: RowDtype;
  /** memcom: storage type of the per-item scalars; otherwise null. */
  scalarDtype: ScalarDtype | null;
  /** hash and memcom: how items map to rows; otherwise null. */
  bucket: 'mod' | 'hash' | 'explicit' | null;
  /** Explicit buckets: their storage type; otherwise null. */
  bucketDtype: 'u16' | 'u32' | null;
  /** Hash buckets: the 64-bit seed as a decimal string; otherwise null. */
  hashSeed: string | null;
  /** Stored bytes of this table (rows, scales, per-item scalars and bucket indices). */
  bytes: number;
}

export interface LayerInfo {
  inDim: number;
  outDim: number;
  activation: Activation;
  /** Whether the layer has a weight matrix (otherwise identity). */
  weight: boolean;
  /** Whether the layer has a bias. */
  bias: boolean;
}

/** A summary of an opened file (frozen). */
export interface ModelInfo {
  /** Items. */
  n: number;
  /** Dimension of the user vector (= the output table's d). */
  d: number;
  /** Format version of the file, "major.minor". */
  formatVersion: string;
  /** The input item table, or null for a table file. */
  input: TableInfo | null;
  /** The output item table. */
  output: TableInfo;
  /** Dense layers between the input and the output table. */
  layers: readonly LayerInfo[];
  /**
   * Whether the model is a ranker (format 1.2): it ranks by
   * s_i = E_out[i] . u + bias[i] + g([u; E_out[i]; u * E_out[i]]), g its head.
   */
  ranker: boolean;
  /** A ranker's head layers (g): the first inDim is 3 d, the last outDim 1; [] otherwise. */
  headLayers: readonly LayerInfo[];
  /** Storage type of the output bias, or null when there is none. */
  biasDtype: ScalarDtype | null;
  /** Whether the file stores item id strings. */
  hasIds: boolean;
  /** Stored bytes per group of sections. */
  bytes: {
    file: number;
    input: number;
    output: number;
    bias: number;
    layers: number;
    /** A ranker's head layers. */
    head: number;
    ids: number;
    metadata: number;
  };
  /** Size of the file in bytes. */
  fileBytes: number;
  /**
   * The most WebAssembly memory the model's calls may allocate besides its
   * file (an upper bound, with the int8Index and bucketBounds options as
   * loaded): the n-bit exclusion marks, hash buckets (4n), inverse norms
   * (4n), the int8 copy of the output rows, bucket bounds, the engine's
   * scratch (the C core's `memcom_info.working_bytes`), and the call scratch
   * (16n + 64 KiB). Not the caller's own lists. Counted against `maxBytes`.
   */
  workingBytes: number;
  /** n * d * 4 for each present item table. */
  fullF32Bytes: number;
  /**
   * fullF32Bytes / stored bytes of the item tables (rows, scales, per-item
   * scalars, bucket indices), as docs/METHOD.md (section 1.4) defines it; the bias, layers, ids
   * and metadata are not counted.
   */
  compressionRatio: number;
  /**
   * The bytes of the same model with full f32 item tables and an f32 output
   * bias, everything else (layers, ids, metadata) as stored (the C core's
   * `memcom_info.full_file_bytes`; docs/FORMAT.md, "Compression ratio").
   */
  fullFileBytes: number;
  /** fullFileBytes / fileBytes: the whole-file compression ratio, what a download costs. */
  fileCompressionRatio: number;
  /** The metadata JSON object ({} when the file has none). */
  metadata: Record<string, unknown>;
  /** Whether the SIMD build of the WebAssembly module is in use. */
  simd: boolean;
  /** Kernel family of the module: "wasm_simd128" or "scalar". */
  kernel: string;
  /** Version of the C core. */
  version: string;
}

/**
 * A validated file in WebAssembly memory serving its output item table
 * (a "table file" with only an output table, or any model file).
 */
export class MemcomTable {
  protected constructor();
  /** Summary of the file. */
  readonly info: ModelInfo;
  /** Number of items. */
  readonly n: number;
  /** Dimension of the output embeddings. */
  readonly d: number;
  /** Whether the file stores item id strings. */
  readonly hasIds: boolean;
  /** True after dispose(). */
  readonly disposed: boolean;

  /**
   * Reconstructed output embeddings: one item gives a Float32Array(d); a list
   * gives a Float32Array(length * d), row after row. `options.table: 'input'`
   * reads the input table of a model instead.
   * @throws MemcomError 'unknown_id', 'index', 'invalid_argument'
   */
  lookup(items: Item | Items, options?: { table?: 'output' | 'input' }): Float32Array;

  /** The reconstructed embedding of one item (output table unless `table: 'input'`). */
  itemEmbedding(item: Item, options?: { table?: 'output' | 'input' }): Float32Array;

  /**
   * Scores of every item against `vector` (E[i] . vector + bias[i]), a copy.
   * @throws MemcomError 'dimension' (wrong length), 'nonfinite_input' (NaN or infinity)
   */
  scoreVector(vector: Float32Array | Float64Array | number[]): Float32Array;

  /**
   * The exact top-k items for `vector`, by descending score, ties lower index
   * first; for a memcom table in O(m*d + n).
   * @throws MemcomError 'dimension', 'nonfinite_input', 'k', 'unknown_id', 'index'
   */
  topK(vector: Float32Array | Float64Array | number[], options?: TopKOptions): Ranked[];

  /** Items most similar to `item` by cosine over the output embeddings (the item itself excluded). */
  similarItems(item: Item, options?: RankOptions): Ranked[];

  /** The id string of item `index`, or null when the file stores no ids. @throws 'index' */
  idOf(index: number): string | null;

  /** The index of the item with id `id`, or -1 when there is none. */
  indexOf(id: string): number;

  /** All id strings in item order, or null when the file stores no ids. */
  ids(): string[] | null;

  /**
   * Free the WebAssembly memory; later use throws MemcomError 'disposed'.
   * Idempotent. Safe from the caller's own code that a method runs while it
   * converts its arguments (option getters, iterators, Proxies, getters on
   * vector elements): that method ends in a MemcomError 'disposed' or a
   * correct result, and the memory is freed when it returns.
   */
  dispose(): void;
}

/** A recommender model (docs/METHOD.md, section 3). */
export class MemcomModel extends MemcomTable {
  /**
   * Top-k items for a user's history (ids and/or indices; duplicates count
   * once). The history is excluded unless `exclude` says otherwise.
   * @throws MemcomError 'unknown_id' (names the id), 'index', 'invalid_argument', 'k', 'no_table'
   */
  recommend(history: Items, options?: RecommendOptions): Ranked[];

  /** The popularity recommend() uses by default: the value the trainer chose on validation data
   *  (metadata serving.popularity), else 1 (as trained). */
  readonly defaultPopularity: number;

  /**
   * A ranker's order of `candidates` for a history (by its head's score; a model
   * without a head: by the factorised score): the top `k` (default: all distinct
   * candidates), nothing excluded.
   * @throws MemcomError 'unknown_id', 'index', 'invalid_argument', 'k', 'no_table'
   */
  rerank(history: Items, candidates: Items, options?: RerankOptions): Ranked[];

  /** Scores of every item for a history (the factorised score, also for a ranker): a Float32Array(n), a copy (not a view of wasm memory). */
  scores(history: Items): Float32Array;

  /** The user vector for a history: a Float32Array(d). */
  userVector(history: Items): Float32Array;
}

/**
 * Load a model file. Sources: URL (string or URL), Response, Blob, ArrayBuffer, typed array, or a file path in Node.
 * When the size is known before the bytes arrive (a Content-Length without Content-Encoding, a Blob, a Node file),
 * the file is written chunk by chunk straight into WebAssembly memory; bytes given as an ArrayBuffer or typed
 * array (and bodies of unknown length, gathered first) are copied in once.
 */
export function loadModel(source: ModelSource, options?: LoadOptions): Promise<MemcomModel>;

/** Load a table file (or any model file, whose output table is then used). */
export function loadTable(source: ModelSource, options?: LoadOptions): Promise<MemcomTable>;

/** One item table to write. */
export interface TableSpec {
  kind: TableKind;
  /** Items (1 .. 2^31-1); both tables of a model have the same n. */
  n: number;
  /** Rows of the shared table: full m = n (may be omitted); hash, memcom and qr 1 <= m <= n. */
  m?: number;
  /** Dimension, 1 .. 4096. */
  d: number;
  /** Storage type of the rows (default 'f32'); i8 uses one f32 scale per row, max|x| / 127. */
  dtype?: RowDtype;
  /** memcom: storage type of the per-item scalars (default 'f32'). */
  scalarDtype?: ScalarDtype;
  /**
   * hash and memcom: 'mod' (i mod m, default), `{ hash: seed }` (splitmix64 of
   * i + seed, mod m) or explicit per-item rows (a Uint16Array needs m <= 65536).
   */
  bucket?: 'mod' | { hash: number | bigint | string } | Uint16Array | Uint32Array;
  /** Rows, row-major: full n x d; hash and memcom m x d; qr the quotient table ceil(n/m) x d. */
  rows: Float32Array | Float64Array | number[];
  /** qr: the remainder table, m x d. */
  rowsB?: Float32Array | Float64Array | number[];
  /** memcom: the per-item scalars w, n of them. */
  scalars?: Float32Array | Float64Array | number[];
}

export interface LayerSpec {
  inDim: number;
  outDim: number;
  /** Default 'none'. */
  activation?: Activation;
  /** outDim x inDim, row-major; omit for the identity (needs inDim == outDim). */
  weight?: Float32Array | Float64Array | number[] | null;
  /** outDim values; omit for zeros. */
  bias?: Float32Array | Float64Array | number[] | null;
}

/** A whole model (or, without input and layers, a table file). */
export interface ModelSpec {
  input?: TableSpec | null;
  output: TableSpec;
  /** Dense layers: the first inDim is input.d, the last outDim is output.d. */
  layers?: LayerSpec[];
  /**
   * A ranker's head (format 1.2, which readers older than 1.2 refuse): the first
   * inDim is 3 x output.d (the input [u; e; u * e]), the last outDim is 1 with
   * activation 'none'. Needs an input table.
   */
  head?: LayerSpec[];
  /** n output biases. */
  outputBias?: Float32Array | Float64Array | number[] | null;
  /** Storage type of the output bias (default 'f32'). */
  biasDtype?: ScalarDtype;
  /** n distinct, non-empty id strings. */
  ids?: string[] | null;
  /**
   * How the ids are stored (default 'strings', format 1.0). 'compact' stores
   * ids that are all canonical decimal numbers (at most 19 digits, no leading
   * zeros) as runs and bit-packed ranks (format 1.1, which readers older than
   * 1.1 refuse); other ids stay strings.
   */
  idEncoding?: IdEncoding;
  /** A JSON object (or its text): dataset, options, metrics, created, ... */
  metadata?: Record<string, unknown> | string | null;
}

export interface BuildOptions {
  /**
   * The writer module to use instead of the packaged one (default:
   * `new URL('../dist/memcom-writer.wasm', import.meta.url)`). Only
   * buildModel loads it; loading models never does.
   */
  wasm?: WasmSource;
  /** The folder that holds `memcom-writer.wasm` (as LoadOptions.wasmBase). */
  wasmBase?: string | URL;
  /** Stops waiting for the writer module (MemcomError 'aborted'); writing itself is synchronous. */
  signal?: AbortSignal;
}

/**
 * Write a .memcom file (docs/FORMAT.md) from JavaScript arrays. The file is
 * written by the C writer (the one writer of the format) running in its own
 * WebAssembly module, `memcom-writer.wasm`, compiled on the first call (hence
 * the promise): it quantises to f16 / int8 as asked, sorts the id index,
 * aligns the sections, computes the CRC32s and validates the result with the
 * reader before returning it.
 * @throws MemcomError 'invalid_argument' naming the field, or carrying the
 *   writer's detail (`cCode`, `detail`) for what the writer refuses (sizes and
 *   their limits, storage types, layer chaining, bucket ranges, the f16 range,
 *   duplicate ids); 'too_large', 'nomem', 'wasm'
 */
export function buildModel(spec: ModelSpec, options?: BuildOptions): Promise<Uint8Array>;

/** What init() loaded. */
export interface InitResult {
  /** Whether the SIMD build was chosen. */
  simd: boolean;
  /** The kernels of the module: 'wasm_simd128' or 'scalar'. */
  kernel: string;
  /** memcom's version. */
  version: string;
}

/**
 * Compile and instantiate the WebAssembly module for these options (`wasm`,
 * `wasmBase` and `simd`, as loadModel takes them) ahead of the first load, so
 * that a caller can warm up (or learn which build it gets) without loading a
 * model. Models loaded later with the same options share this instance.
 * Starting the instance also runs the ranking code once on small built-in
 * tables (20-50 ms while the engine runs it unoptimised), so that the engine
 * optimises it before the first real ranking; calling init early takes that
 * off the first load's path.
 * Optional: loadModel and loadTable do the same on their first call.
 */
export function init(options?: Pick<LoadOptions, 'wasm' | 'wasmBase' | 'simd' | 'signal'>): Promise<InitResult>;

/**
 * Set the folder that every later loadModel, loadTable, init and buildModel
 * takes the .wasm files from when its options give neither `wasm` nor
 * `wasmBase` (see LoadOptions.wasmBase); `null` returns to the default,
 * beside the package's code.
 * @throws MemcomError 'invalid_argument' for anything but a URL or a non-empty string
 */
export function setWasmBase(base: string | URL | null): void;

/** Whether this engine validates WebAssembly SIMD. */
export function hasSimd(): boolean;

/** Stable error codes. Those of file defects are the C core's names (docs/FORMAT.md). */
export type MemcomErrorCode =
  | 'invalid_argument' | 'index' | 'unknown_id' | 'dimension' | 'k' | 'no_table' | 'no_ids'
  | 'nonfinite_input' | 'disposed' | 'too_large' | 'nomem' | 'io' | 'wasm' | 'metadata' | 'aborted'
  | 'truncated' | 'magic' | 'version' | 'header_size' | 'header_crc' | 'file_size' | 'flags'
  | 'directory' | 'directory_crc' | 'section_type' | 'section_dup' | 'section_missing'
  | 'section_unexpected' | 'section_bounds' | 'section_align' | 'section_overlap' | 'section_size'
  | 'section_crc' | 'section_dtype' | 'table_kind' | 'table_dtype' | 'bucket_mode' | 'sizes'
  | 'bucket_range' | 'layers' | 'nonfinite' | 'ids' | 'ids_utf8' | 'ids_dup' | 'ids_order'
  | 'row_scale';

/** Every error the package throws. */
export class MemcomError extends Error {
  constructor(code: string, message: string, extra?: { cCode?: number; cause?: unknown; detail?: string });
  readonly name: 'MemcomError';
  /** Stable identifier, e.g. 'unknown_id', 'section_crc'. */
  readonly code: MemcomErrorCode | (string & {});
  /** 'bad_file' for any defect of a file, 'usage', 'resource', 'state' or 'internal'. */
  readonly category: 'bad_file' | 'usage' | 'resource' | 'state' | 'internal';
  /** The C core's numeric error code, when the core reported it. */
  readonly cCode?: number;
  /** The core's detail text (which section, which item), when it gave one. */
  readonly detail?: string;
}
