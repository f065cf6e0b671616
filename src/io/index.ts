/**
 * File formats and safe file writing: atomic writes, safetensors, checkpoints, metrics.
 *
 * Browser-safe modules: `safetensors.ts`, `json.ts`, `metrics-format.ts`. Node-only (they use
 * `node:fs`): `atomic.ts`, `checkpoint.ts`, `metrics.ts`. A browser bundle imports the former
 * directly rather than this index.
 */
export { writeFileAtomic, writeFilesAtomic } from './atomic.ts';
export type { AtomicWriteOptions, FileContents, FileToWrite } from './atomic.ts';
export {
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  SafetensorsError,
  decodeSafetensors,
  dtypeSize,
  encodeSafetensors,
  formatShape,
  isSafetensorsDType,
  shapeSize,
} from './safetensors.ts';
export type {
  DTypeArrayOf,
  SafetensorsDType,
  SafetensorsErrorKind,
  SafetensorsFile,
  StoredTensor,
  TensorMap,
  TensorOf,
} from './safetensors.ts';
export {
  CheckpointError,
  MODEL_FILE,
  OPTIMIZER_FILE,
  checkArchitecture,
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
} from './checkpoint.ts';
export type {
  Architecture,
  CheckpointErrorKind,
  CheckpointToSave,
  JsonValue,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  LoadedModel,
  TensorSpec,
} from './checkpoint.ts';
export { METRICS_CSV, METRICS_JSON, decodeMetricsJson, metricsColumns, metricsToCsv, metricsToJson, writeMetrics } from './metrics.ts';
export type { MetricValue, MetricsRow } from './metrics.ts';
export { parseJsonStrict, utf8ByteLength } from './json.ts';
export type { JsonSyntaxError, ParsedJson } from './json.ts';
