/** OFA MobileNetV3 (width 1.2): once-for-all's accuracy predictor and Note10 latency tables, read from OFA_DATA. */
export { OFA_DATA_HELP, OfaDataError, ofaDataCandidates, ofaDataFiles, resolveOfaDataDir, type OfaDataOptions } from './data';
export {
  NOTE10_RESOLUTIONS,
  Note10LatencyTables,
  note10LayerKeys,
  note10Latency,
  parseLatencyTable,
  readLatencyTable,
  type LatencyEntry,
  type LatencyTable,
} from './latency';
export {
  OFA_FEATURES,
  OfaAccuracyPredictor,
  PREDICTOR_MAX_RESOLUTION,
  PREDICTOR_MIN_RESOLUTION,
  resolutionSlot,
} from './predictor';
export {
  checkOfaSubnet,
  isActiveSlot,
  OFA_EXPANDS,
  OFA_KERNELS,
  OFA_SLOTS,
  OfaSubnetError,
  type OfaSubnet,
} from './subnet';
export { ofaPredictorEvaluator, type OfaPredictorSettings } from './plugin';
