import { ArchitectureError } from './types';

/**
 * The JSON form of an architecture's text, for spaces whose text format is
 * (or may be) JSON; a text that does not parse is an ArchitectureError that
 * quotes it and shows the format expected.
 */
export function parseJsonText(text: unknown, format: string): unknown {
  if (typeof text !== 'string') throw new ArchitectureError('architecture must be a string');
  try {
    return JSON.parse(text);
  } catch {
    const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw new ArchitectureError(`architecture: not valid JSON: '${shown}' (format: ${format})`, 'architecture');
  }
}
