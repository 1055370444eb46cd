// ONNX graphs for the peer engines, written from JS with onnx-proto.
//
//   full table:  scores = u · Eᵀ + bias          -> TopK
//   memcom:      t = u · Uᵀ (m dot products)      -> Gather(t, bucket) -> Mul w -> Add bias -> TopK
//
// Both take the user vector `u` ([1, d] f32) and output `values`/`indices`
// ([1, k]) of TopK over all n items.  Each has a few equivalent layouts;
// the benchmark times them and keeps the fastest ("best form").
//
// Tensors are stored as ONNX external data (the standard way to ship large
// weights to onnxruntime-web): protobufjs copies a 256 MB bytes field byte
// by byte (about 2 s), while external data is handed over as it is.
// Each builder returns { model: Uint8Array, externalData: [{ path, data }] },
// which is exactly what InferenceSession.create(model, { externalData }) takes.

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

const f32 = (name, dims, data) => tensor(name, dims, T.FLOAT, data);
const i32 = (name, dims, data) => tensor(name, dims, T.INT32, data);
const i64 = (name, dims, data) => tensor(name, dims, T.INT64, data);

// Tensors smaller than this are embedded; larger ones go to external data.
const EMBED_LIMIT = 4096;

function tensor(name, dims, dataType, data) {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (raw.byteLength <= EMBED_LIMIT) return { proto: onnx.TensorProto.create({ name, dims, dataType, rawData: raw }) };
  const path = `${name}.bin`;
  const proto = onnx.TensorProto.create({
    name,
    dims,
    dataType,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: path },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(raw.byteLength) },
    ],
  });
  return { proto, external: { path, data: raw } };
}

function valueInfo(name, elemType, dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
}

function node(opType, inputs, outputs, attrs = {}) {
  const attribute = Object.entries(attrs).map(([name, i]) =>
    onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT }),
  );
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, attribute, name: outputs[0] });
}

function model(name, d, k, nodes, tensors) {
  const graph = onnx.GraphProto.create({
    name,
    node: nodes,
    initializer: tensors.map((t) => t.proto),
    input: [valueInfo('u', T.FLOAT, [1, d])],
    output: [valueInfo('values', T.FLOAT, [1, k]), valueInfo('indices', T.INT64, [1, k])],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'memcom-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  return {
    model: onnx.ModelProto.encode(proto).finish(),
    externalData: tensors.filter((t) => t.external).map((t) => t.external),
  };
}

function transpose(rows, nRows, d) {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < nRows; r++) for (let j = 0; j < d; j++) out[j * nRows + r] = rows[r * d + j];
  return out;
}

/** Which scoring product: MatMul against Eᵀ stored d x n, or Gemm with transB against E stored n x d. */
function scoresNodes(layout, table, nRows, d, outName, biasName, extra) {
  if (layout === 'matmul') {
    extra.push(f32('table_t', [d, nRows], transpose(table, nRows, d)));
    const out = biasName ? `${outName}_nobias` : outName;
    const nodes = [node('MatMul', ['u', 'table_t'], [out])];
    if (biasName) nodes.push(node('Add', [out, biasName], [outName]));
    return nodes;
  }
  // 'gemm': E stays n x d (row-major, as stored); Gemm fuses the bias add.
  extra.push(f32('table', [nRows, d], table));
  const inputs = biasName ? ['u', 'table', biasName] : ['u', 'table'];
  return [node('Gemm', inputs, [outName], { transB: 1 })];
}

/** Full-table graph: MatMul (or Gemm) + Add bias + TopK. */
export function fullTableGraph({ E, bias, n, d, k, layout = 'matmul' }) {
  const init = [f32('bias', [n], bias), i64('k', [1], BigInt64Array.of(BigInt(k)))];
  const nodes = scoresNodes(layout, E, n, d, 'scores', 'bias', init);
  nodes.push(node('TopK', ['scores', 'k'], ['values', 'indices'], { axis: -1, largest: 1, sorted: 1 }));
  return model('full_topk', d, k, nodes, init);
}

/** MEmCom graph: m dot products, Gather by bucket, Mul by w, Add bias, TopK. */
export function memcomGraph({ U, w, bias, n, m, d, k, layout = 'matmul', indexType = 'int32' }) {
  const bucket = indexType === 'int64' ? new BigInt64Array(n) : new Int32Array(n);
  for (let i = 0, b = 0; i < n; i++) {
    bucket[i] = indexType === 'int64' ? BigInt(b) : b;
    if (++b === m) b = 0;
  }
  const init = [
    (indexType === 'int64' ? i64 : i32)('bucket', [n], bucket),
    f32('w', [n], w),
    f32('bias', [n], bias),
    i64('k', [1], BigInt64Array.of(BigInt(k))),
  ];
  const nodes = scoresNodes(layout, U, m, d, 'rowdots', null, init);
  nodes.push(
    node('Gather', ['rowdots', 'bucket'], ['gathered'], { axis: 1 }),
    node('Mul', ['gathered', 'w'], ['scaled']),
    node('Add', ['scaled', 'bias'], ['scores']),
    node('TopK', ['scores', 'k'], ['values', 'indices'], { axis: -1, largest: 1, sorted: 1 }),
  );
  return model('memcom_topk', d, k, nodes, init);
}

/**
 * A ranker's graph (docs/METHOD.md, "Serving a ranker"): every item scored by
 * s = E u + bias + W1 relu(W0 [u; e; u * e] + b0) + b1, then TopK.  The item
 * embeddings E (n x d) are dense, as an ONNX export of the model has them.
 * form 'concat': the head's input [u; e; u * e] built per item, one Gemm of
 * n x 3d by 3d x h (as the model is written); form 'split': the first layer
 * as E W_e^T + (E * u) W_ue^T + (W_u u + b0), two n x d by d x h products.
 */
export function rankerGraph({ E, bias, n, d, k, W0, b0, W1, b1, h, form = 'concat' }) {
  const block = (c) => { // columns [c d, (c + 1) d) of W0 (h x 3d), as h x d
    const out = new Float32Array(h * d);
    for (let r = 0; r < h; r++) out.set(W0.subarray(r * 3 * d + c * d, r * 3 * d + (c + 1) * d), r * d);
    return out;
  };
  const init = [
    f32('E', [n, d], E), f32('bias', [n], bias), f32('b0', [h], b0), f32('W1', [1, h], W1), f32('b1', [1], b1),
    i64('k', [1], BigInt64Array.of(BigInt(k))), i64('row', [2], BigInt64Array.of(1n, BigInt(n))),
  ];
  const nodes = [node('Gemm', ['u', 'E', 'bias'], ['f'], { transB: 1 }), node('Mul', ['u', 'E'], ['ue'])];
  if (form === 'concat') {
    init.push(f32('W0', [h, 3 * d], W0), i64('nd', [2], BigInt64Array.of(BigInt(n), BigInt(d))));
    nodes.push(
      node('Expand', ['u', 'nd'], ['ub']),
      node('Concat', ['ub', 'E', 'ue'], ['x'], { axis: 1 }),
      node('Gemm', ['x', 'W0', 'b0'], ['pre'], { transB: 1 }),
    );
  } else {
    init.push(f32('Wu', [h, d], block(0)), f32('We', [h, d], block(1)), f32('Wue', [h, d], block(2)));
    nodes.push(
      node('Gemm', ['u', 'Wu', 'b0'], ['c'], { transB: 1 }),
      node('Gemm', ['E', 'We'], ['pe'], { transB: 1 }),
      node('Gemm', ['ue', 'Wue'], ['pue'], { transB: 1 }),
      node('Add', ['pe', 'pue'], ['p']),
      node('Add', ['p', 'c'], ['pre']),
    );
  }
  nodes.push(
    node('Relu', ['pre'], ['hid']),
    node('Gemm', ['hid', 'W1', 'b1'], ['g'], { transB: 1 }),
    node('Reshape', ['g', 'row'], ['grow']),
    node('Add', ['f', 'grow'], ['scores']),
    node('TopK', ['scores', 'k'], ['values', 'indices'], { axis: -1, largest: 1, sorted: 1 }),
  );
  return model(`ranker_${form}`, d, k, nodes, init);
}
