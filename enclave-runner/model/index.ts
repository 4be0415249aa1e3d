// The frozen base small language model: a byte-level causal transformer on TF.js (WASM), its
// deterministic pretraining and cache, and the fixed-point feature extractor the proven linear head
// is trained on. See README.md.
export {
  type BaseModel,
  BTSLM_MAGIC,
  BTSLM_VERSION,
  cacheFileName,
  defaultCacheDir,
  type LoadOrBuildOptions,
  loadOrBuildBaseModel,
  MODEL_CODE_VERSION,
  parseBaseModel,
  serializeBaseModel,
} from "./baseModel.ts";
export {
  DEFAULT_SLM_CONFIG,
  parameterCount,
  type SlmConfig,
  TEST_SLM_CONFIG,
  weightShapes,
} from "./config.ts";
export { type CorpusInfo, loadCorpus } from "./corpus.ts";
export { SlmError, SlmErrorCode } from "./errors.ts";
export { encodeText, Featurizer, featurizeParallel, lmBitsPerByte } from "./featurizer.ts";
export { createTfjsHeadTrainer } from "./headTrainer.ts";
export { PRETRAIN_RECIPE, type PretrainReport } from "./pretrain.ts";
export { FEATURE_FRACTION_BITS, FEATURE_MAX, type Projection } from "./projection.ts";
export { initTf } from "./tf.ts";
