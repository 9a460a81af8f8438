import { z } from 'zod';
import { echemResultSchema, type TechniqueRun } from '../../src/domain/index.ts';

/**
 * What labloop's electrochemical station adds to LADS (OPC 30500), shared by the driver (PotentiostatOpcuaBackend,
 * through the generic client in drivers/lads) and the twin (simulators/twins/opcua-station*.ts). The standard parts
 * (types, browse names, states, locking) live in drivers/lads/node-map.ts. See docs/devices-opcua.md:
 *
 * ```
 * Objects/2:DeviceSet/<L>:<deviceId>                      LADSDeviceType: Identification, DeviceState (Operate)
 *   4:FunctionalUnitSet/<L>:<unit>                        FunctionalUnitType (one per cell), DI Lock
 *     4:FunctionalUnitState                               Stopped | Running | Stopping | Aborting | Aborted | Clearing
 *       4:StartProgram(template, Properties, SupervisoryJobId, SupervisoryTaskId, Samples) → DeviceProgramRunId
 *     4:FunctionSet/<L>:Potential | Current | Temperature AnalogScalarSensorFunctionType; <L>:PotentialControl
 *     4:SupportedPropertiesSet/<L>:<key>                  Organizes → the template parameters of that key
 *     4:ProgramManager/4:ProgramTemplateSet/<L>:<technique>/<L>:ParameterSet/<L>:<param>   AnalogUnitRangeType
 *     4:ProgramManager/4:ResultSet/<L>:<runId>            ResultType
 *       4:VariableSet/<L>:EchemResult                     the whole result as JSON (sdl.result.echem.v1)
 *       4:VariableSet/<L>:Status | FailureCode | FailureMessage | InstrumentFlags | Conditions/…
 *       4:VariableSet/<L>:<n>_<technique>/<L>:t_s | Ewe_V | I_A | cycle | freq_Hz | Zre_ohm | Zim_ohm, <L>:Parameters/…
 *       4:FileSet/<L>:curves.csv                          ResultFileType: every segment as one CSV table (FileType, readable)
 * ```
 */
export const LABLOOP_NAMESPACE = 'urn:labloop:echem-station';

/** Station and unit naming of `labloop sim echem-station`: station `ps-<cell>`, unit `<cell>`. */
export const stationDeviceId = (cell: string): string => `ps-${cell}`;

/** Browse name of the variable set describing a template's parameters. */
export const PARAMETER_SET = 'ParameterSet';

/** Browse names inside a result's VariableSet. */
export const RESULT_NAMES = {
  json: 'EchemResult',
  status: 'Status',
  failureCode: 'FailureCode',
  failureMessage: 'FailureMessage',
  instrumentFlags: 'InstrumentFlags',
  duration: 'Duration',
  conditions: 'Conditions',
  segmentParameters: 'Parameters',
  technique: 'Technique',
  csvFile: 'curves.csv',
} as const;

/** Browse name of one measured segment in a result (1-based position, technique). */
export const segmentName = (index: number, technique: string): string => `${index + 1}_${technique}`;
export const SEGMENT_NAME = /^(\d+)_([A-Za-z0-9_]+)$/;

/** Units of the columns of a curve (key suffix convention of DEVICES.md). */
export function arrayUnit(key: string): string {
  if (key.endsWith('_s')) return 's';
  if (key.endsWith('_V')) return 'V';
  if (key.endsWith('_A')) return 'A';
  if (key.endsWith('_Hz')) return 'Hz';
  if (key.endsWith('_ohm')) return 'Ω';
  return '1';
}

/** Variables of a result's Conditions object: browse name → [conditions key, unit]. */
export const CONDITION_VARIABLES = {
  Electrolyte: ['electrolyte', ''],
  pH: ['pH', '1'],
  Temperature: ['temperature', '°C'],
  Area: ['area', 'cm²'],
  ReferenceElectrode: ['referenceElectrode', ''],
  ReferenceOffset_V_RHE: ['referenceOffset_V_RHE', 'V'],
  UncompensatedResistance: ['uncompensatedResistance', 'Ω'],
} as const;

/**
 * StartProgram Properties: one KeyValueType per technique parameter (key = parameter name, value = JSON number)
 * and per sample meta-data entry (key = `sample.<name>`, value = JSON string or number).
 */
export interface KeyValue {
  key: string;
  value: string;
}
export const SAMPLE_PREFIX = 'sample.';

export function encodeProperties(run: Pick<TechniqueRun, 'params' | 'sample'>): KeyValue[] {
  return [
    ...Object.entries(run.params).map(([key, v]) => ({ key, value: JSON.stringify(v) })),
    ...Object.entries(run.sample).map(([key, v]) => ({ key: SAMPLE_PREFIX + key, value: JSON.stringify(v) })),
  ];
}

const jsonNumber = z.string().transform((s, ctx) => {
  const v: unknown = JSON.parse(s);
  if (typeof v !== 'number') ctx.addIssue({ code: 'custom', message: 'not a JSON number' });
  return v as number;
});

/** Inverse of `encodeProperties`; throws on a malformed property (the twin answers BadInvalidArgument). */
export function decodeProperties(props: readonly KeyValue[]): Pick<TechniqueRun, 'params' | 'sample'> {
  const params: Record<string, number> = {};
  const sample: Record<string, string | number> = {};
  for (const p of props) {
    if (p.key.startsWith(SAMPLE_PREFIX)) {
      const v: unknown = JSON.parse(p.value);
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`sample property ${p.key} must be a string or a number`);
      sample[p.key.slice(SAMPLE_PREFIX.length)] = v;
    } else params[p.key] = jsonNumber.parse(p.value);
  }
  return { params, sample };
}

/** Parses the EchemResult JSON of a result node (zod at the wire boundary). */
export function parseResultJson(text: string): z.infer<typeof echemResultSchema> {
  return echemResultSchema.parse(JSON.parse(text));
}
