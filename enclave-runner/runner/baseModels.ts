// The base models this runner knows, by the name a job spec uses.
import { DEFAULT_SLM_CONFIG, type SlmConfig, TEST_SLM_CONFIG } from "../model/index.ts";

/** Known base model configurations. */
export const KNOWN_BASE_MODELS: readonly SlmConfig[] = [DEFAULT_SLM_CONFIG, TEST_SLM_CONFIG];

/** The configuration named `name`, or undefined. */
export function slmConfigByName(name: string): SlmConfig | undefined {
  return KNOWN_BASE_MODELS.find((c) => c.name === name);
}
