/**
 * A CRD version's JSONPaths at work: `additionalPrinterColumns` as server-side printing columns
 * (Kubernetes' CRD table convertor: a `date` column shows the age of the timestamp it finds,
 * others the value, several values joined by commas, objects as JSON) and `selectableFields` as
 * field selectors.
 */
import type { PrinterColumn } from '../../api/apiextensions/crd.js';
import { humanAge } from '../../apiserver/table.js';
import type { ResourceDefinition, TableColumn } from '../../apiserver/types.js';
import { evaluateJsonPath, parseJsonPath } from './json-path.js';

export function printerColumns(columns: readonly PrinterColumn[]): TableColumn[] {
  return columns.map((column) => {
    const steps = parseJsonPath(column.jsonPath);
    return {
      name: column.name,
      type: column.type,
      ...(column.format ? { format: column.format } : {}),
      ...(column.description ? { description: column.description } : {}),
      priority: column.priority ?? 0,
      cell(obj) {
        const values = evaluateJsonPath(steps, obj);
        if (values.length === 0) return null;
        if (column.type === 'date') return typeof values[0] === 'string' ? humanAge(values[0]) : null;
        if (values.length === 1 && (typeof values[0] !== 'object' || values[0] === null)) {
          return values[0] as string | number | boolean | null;
        }
        return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
      },
    };
  });
}

/**
 * A version's `selectableFields` as field selectors: `.spec.color` is selected as `spec.color`,
 * by the value's text (Kubernetes allows string, integer and boolean fields).
 */
export function selectableFieldsOf(fields: readonly { jsonPath: string }[]): ResourceDefinition['selectableFields'] {
  return Object.fromEntries(
    fields.map(({ jsonPath }) => {
      const steps = parseJsonPath(jsonPath);
      const cell = (obj: object) => {
        const [value] = evaluateJsonPath(steps, obj);
        return value === undefined || value === null ? undefined : String(value);
      };
      return [jsonPath.replace(/^\./, ''), cell];
    }),
  );
}
