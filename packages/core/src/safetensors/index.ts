// safetensors read/write: the feature folder's public surface (re-exported by src/index.ts).
export { SAFETENSORS_DTYPES, isSafetensorsDtype, safetensorsDtypeBits, type SafetensorsDtype } from './dtypes.js';
export {
  float32ToFloat16Bits,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  bfloat16BitsToFloat32,
  encodeFloat16,
  decodeFloat16,
  encodeBfloat16,
  decodeBfloat16,
} from './float-conversion.js';
export {
  MAX_SAFETENSORS_HEADER_BYTES,
  safetensorsHeaderLength,
  readSafetensorsHeader,
  parseSafetensors,
  type SafetensorsTensorInfo,
  type SafetensorsHeader,
  type SafetensorsEntry,
  type SafetensorsFile,
  type ParseSafetensorsOptions,
  type ReadSafetensorsHeaderOptions,
} from './parse.js';
export { readSafetensors, type SafetensorsTensors, type ReadSafetensorsOptions } from './read.js';
export { writeSafetensors, type RawTensor, type SafetensorsWritable, type WriteSafetensorsOptions } from './write.js';
