import { validator, type JsonSchema } from './validate.js';
import type { RuleInput } from '../core/scenarios.js';

/**
 * The JSON Schemas of what a client hands the sandbox about scenarios: the tokens applied to one
 * order, and a scenario file. They are checked through validate.ts and feed the OpenAPI document
 * (src/http/openapi/components.ts), so what is documented is what is enforced.
 */

const tokens: JsonSchema = {
  description: 'scenario tokens, comma-separated ("pay=auto,notify=late:30") or as a list',
  oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }],
};

/** `POST /__sandbox/orders/{id}/scenario`. */
export const ORDER_SCENARIO_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['tokens'],
  additionalProperties: false,
  properties: { tokens },
};

export const checkOrderScenario = validator<{ tokens: string | string[] }>(ORDER_SCENARIO_SCHEMA, 'body');

const match: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'what the rule matches: mchid, out_trade_no (a * ? pattern), total_fee (fen), endpoint (absent: the create calls; notify: notify attempts), notify_url',
  properties: {
    mchid: { type: 'string' },
    out_trade_no: { type: 'string' },
    total_fee: { type: 'integer', minimum: 1 },
    endpoint: { type: 'string' },
    notify_url: { type: 'string' },
  },
};

/** One rule, as POST /__sandbox/scenarios takes it. */
export const RULE_INPUT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    match,
    tokens,
    once: { type: 'boolean' },
    times: { type: 'integer', minimum: 1, description: 'a whole number ≥ 1' },
    sequence: { type: 'array', minItems: 1, items: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, description: 'one token string per matching event' },
  },
};

/** A scenario file (fixtures/scenarios/*.json): a named, described set of rules. */
export interface ScenarioFile {
  name: string;
  description: string;
  rules: RuleInput[];
}

export const SCENARIO_FILE_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['name', 'description', 'rules'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1, maxLength: 80, description: 'a short name, 1 to 80 characters' },
    description: { type: 'string', maxLength: 2000, description: 'what the scenario shows, for the dashboard' },
    rules: { type: 'array', minItems: 1, maxItems: 100, items: RULE_INPUT_SCHEMA, description: 'one rule at least' },
  },
};

/** Checks a scenario file; `file` names it in the message (`late.json: rules[0].tokens …`). */
export function checkScenarioFile(value: unknown, file = 'scenario'): ScenarioFile {
  return checkFile(value, file);
}
const checkFile = validator<ScenarioFile>(SCENARIO_FILE_SCHEMA);
