/**
 * The ways an OpenAI-compatible request can ask for a JSON answer, and what
 * each adds to the request. Whatever the mode, the answer is parsed the same
 * way (extractJson) and the caller checks it against the schema it asked for
 * (the Generator's check and its one follow-up with the errors).
 */
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { compactJson } from '../../lib/json-grammar';
import type { ChatMessage, ChatRequest } from '../types';
import type { StructuredMode } from './endpoint';

/** The next mode `auto` tries after a server refused one; undefined when none is left. */
export function fallbackAfter(mode: StructuredMode): StructuredMode | undefined {
  // A refused grammar (a server that is not llama.cpp after all) goes back to the standard field.
  return ({ grammar: 'json_schema', json_schema: 'json_object', json_object: 'prompt', prompt: undefined } as const)[mode];
}

/** The compact GBNF grammar for a schema (no whitespace, bounded length), or undefined where it does not cover the schema. */
export function grammarOf(schema: Record<string, unknown>): string | undefined {
  return compactJson(schema)?.grammar;
}

/** The request body's fields for `mode` (messages, response_format, grammar). */
export function structuredFields(
  messages: ChatMessage[],
  jsonSchema: ChatRequest['jsonSchema'],
  mode: StructuredMode | 'plain',
): Pick<ChatCompletionCreateParamsNonStreaming, 'messages' | 'response_format'> & { grammar?: string } {
  if (!jsonSchema || mode === 'plain') return { messages };
  switch (mode) {
    case 'json_schema':
      return {
        messages,
        // strict: false because strict mode only accepts a subset of JSON Schema (no optional fields, ...).
        response_format: { type: 'json_schema', json_schema: { name: jsonSchema.name, schema: jsonSchema.schema, strict: false } },
      };
    case 'json_object':
      // llama-cpp-python constrains json_object by a `schema` beside the type; other servers ignore it and read the prompt.
      return {
        messages: withSchemaPrompt(messages, jsonSchema),
        response_format: { type: 'json_object', schema: jsonSchema.schema } as unknown as ChatCompletionCreateParamsNonStreaming['response_format'],
      };
    case 'grammar': {
      const grammar = grammarOf(jsonSchema.schema);
      // A schema the compact grammar does not cover is asked for by the standard field instead.
      if (grammar === undefined) return structuredFields(messages, jsonSchema, 'json_schema');
      return { messages: withSchemaPrompt(messages, jsonSchema), grammar };
    }
    case 'prompt':
      return { messages: withSchemaPrompt(messages, jsonSchema) };
  }
}

/**
 * Puts the schema into the leading system message rather than adding a second
 * one: several chat templates (Gemma, older Mistral) reject a system message
 * anywhere but first.
 */
function withSchemaPrompt(messages: ChatMessage[], schema: NonNullable<ChatRequest['jsonSchema']>): ChatCompletionMessageParam[] {
  const instruction =
    `Answer with only a JSON value that conforms to the JSON Schema "${schema.name}" below; ` +
    `no prose before or after it.\n${JSON.stringify(schema.schema)}`;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: 'system', content: instruction }, ...messages];
}
