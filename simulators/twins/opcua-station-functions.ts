import { DataType, Variant, type Namespace, type UAObject, type UAVariable } from 'node-opcua';
import type { EchemStationCore } from '../echem/station-core.ts';
import { childOf, setAnalogMeta, stateMachine } from './lads-address-space.ts';

/** Instrument ranges the station's functions declare (EURange). */
export const FUNCTION_RANGES = {
  potential_V: [-10, 10],
  current_A: [-1, 1],
  temperature: [-20, 100],
} as const;

const POTENTIAL_CONTROLLED = new Set(['CV', 'LSV', 'CA']);

/**
 * The FunctionSet of a station's functional unit (LADS functions): `Potential`, `Current` and `Temperature` as
 * AnalogScalarSensorFunctionType (SensorValue and RawValue: AnalogUnitRangeType with EngineeringUnits and EURange,
 * read live from the station core), and `PotentialControl` as AnalogControlFunctionType whose CurrentValue and
 * TargetValue follow the applied potential and whose ControlFunctionState is Running while a potential-controlled
 * segment (CV, LSV, CA) drives the cell. The controller is driven by programs; it offers no Start methods of its own.
 */
export class StationFunctions {
  private control: ReturnType<typeof stateMachine> | undefined;
  private controlState = 'Stopped';

  constructor(
    private readonly namespace: Namespace,
    private readonly nsLads: number,
    private readonly core: EchemStationCore,
  ) {}

  build(functionSet: UAObject): void {
    const as = this.namespace.addressSpace;
    const sensorType = as.findObjectType('AnalogScalarSensorFunctionType', this.nsLads);
    const controlType = as.findObjectType('AnalogControlFunctionType', this.nsLads);
    if (!sensorType || !controlType) throw new Error('LADS function types not loaded');
    const enable = (f: UAObject): void => (f.getChildByName('IsEnabled', this.nsLads) as UAVariable | null)?.setValueFromSource({ dataType: DataType.Boolean, value: true });
    const sensor = (name: string, description: string, unit: string, range: readonly [number, number], read: () => number): void => {
      const f = sensorType.instantiate({ browseName: { name, namespaceIndex: this.namespace.index }, componentOf: functionSet, description, namespace: this.namespace }) as UAObject;
      for (const v of ['SensorValue', 'RawValue']) this.bindAnalog(childOf(f, v, this.nsLads) as UAVariable, unit, range, read);
      enable(f);
    };
    sensor('Potential', 'working-electrode potential vs the reference electrode', 'V', FUNCTION_RANGES.potential_V, () => this.core.liveReading().potential_V);
    sensor('Current', 'cell current (anodic positive)', 'A', FUNCTION_RANGES.current_A, () => this.core.liveReading().current_A);
    sensor('Temperature', 'cell temperature', '°C', FUNCTION_RANGES.temperature, () => this.core.liveReading().temperature);

    const c = controlType.instantiate({
      browseName: { name: 'PotentialControl', namespaceIndex: this.namespace.index },
      componentOf: functionSet,
      description: 'potentiostatic control of the working electrode (driven by programs)',
      namespace: this.namespace,
    }) as UAObject;
    for (const v of ['CurrentValue', 'TargetValue']) this.bindAnalog(childOf(c, v, this.nsLads) as UAVariable, 'V', FUNCTION_RANGES.potential_V, () => this.core.liveReading().potential_V);
    enable(c);
    this.control = stateMachine(childOf(c, 'ControlFunctionState', this.nsLads) as UAObject);
    this.control.setState('Stopped');
  }

  /** Follows the station's segments: the controller runs during potential-controlled ones. */
  onStep(technique: string | undefined): void {
    const want = technique !== undefined && POTENTIAL_CONTROLLED.has(technique) ? 'Running' : 'Stopped';
    if (!this.control || this.controlState === want) return;
    this.control.setState(want);
    this.controlState = want;
  }

  private bindAnalog(v: UAVariable, unit: string, range: readonly [number, number], read: () => number): void {
    setAnalogMeta(v, { unit, range });
    v.bindVariable({ get: () => new Variant({ dataType: DataType.Double, value: read() }) }, true);
  }
}
