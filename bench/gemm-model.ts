/**
 * The FP32 peak this machine reaches in practice: an ONNX graph of one square MatMul, encoded here as protobuf by
 * hand (a few fields of onnx.proto; no ONNX tooling needed), timed in onnxruntime like the models are.
 */
import { writeFileSync } from 'node:fs';

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...tag(field, 0), ...varint(n)];
const bytes = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

/** onnx.proto TensorProto.DataType: FLOAT 1, FLOAT16 10, BFLOAT16 16. */
export type ElemType = 1 | 10 | 16;

/** ValueInfoProto of a tensor [n, n]. */
const matrix = (name: string, n: number, elemType: ElemType) => {
  const dim = bytes(1, int(1, n)); // TensorShapeProto.Dimension.dim_value
  const tensorType = [...int(1, elemType), ...bytes(2, [...dim, ...dim])]; // elem_type, shape
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
};

/** Writes `C = A · B` for [n, n] inputs A and B (FP32 unless `elemType` says otherwise) to `path`. */
export function writeGemmModel(path: string, n: number, elemType: ElemType = 1): void {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(4, 'MatMul')];
  const graph = [...bytes(1, node), ...str(2, 'gemm'), ...bytes(11, matrix('A', n, elemType)), ...bytes(11, matrix('B', n, elemType)), ...bytes(12, matrix('C', n, elemType))];
  const model = [...int(1, 8), ...bytes(8, int(2, 17)), ...bytes(7, graph)]; // ir_version 8, opset 17
  writeFileSync(path, Uint8Array.from(model));
}
