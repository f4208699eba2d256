import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NAS_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/** Anything that reaches the operator service: a client's Connection or a worker's NativeConnection. */
type Operator = Pick<Connection, 'operatorService'>;

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** Registers those of `attributes` (default: all of ours) that a server lacks (a reused or external server). */
export async function ensureSearchAttributes(
  connection: Operator,
  namespace = 'default',
  attributes: readonly { name: string; cliType: string }[] = NAS_SEARCH_ATTRIBUTES,
): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = attributes.filter((a) => customAttributes?.[a.name] === undefined);
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((a) => [a.name, INDEXED_TYPES[a.cliType]!])),
  });
}
