import { DataType, coerceLocalizedText, type Namespace, type UAObject, type UAVariable } from 'node-opcua';
import { TECHNIQUES, type Technique } from '../../src/domain/index.ts';
import { TEMPLATE_PARAMS, TECHNIQUE_PARAMS, type ParamSpec, type TechniqueParamName } from '../../drivers/electrochem/technique-params.ts';
import { PARAMETER_SET } from '../../drivers/electrochem/node-map.ts';
import { addAnalogItem, putValue } from './lads-address-space.ts';

const DESCRIPTIONS: Record<Technique, string> = {
  OCP: 'open-circuit potential',
  CV: 'cyclic voltammetry',
  LSV: 'linear sweep voltammetry',
  CA: 'chronoamperometry',
  CP: 'chronopotentiometry',
  PEIS: 'potentiostatic impedance spectroscopy',
  OER_Screen_v1: 'OER screen: OCP → CV conditioning → PEIS → LSV (→ CP)',
};

/**
 * The program templates of a station's functional unit, one ProgramTemplateType per technique, each with its
 * parameters described in `ParameterSet` (a LADS VariableSetType): one AnalogUnitRangeType variable per parameter —
 * browse name = the StartProgram property key, DataType, EURange = the instrument's limits, EngineeringUnits,
 * Description, Value = the default. The unit's SupportedPropertiesSet lists every key once (SupportedPropertyType),
 * organizing the template variables that declare it, as LADS describes StartProgram's Properties.
 */
export function buildTemplates(namespace: Namespace, nsLads: number, unit: UAObject, created: Date): void {
  const as = namespace.addressSpace;
  const templateType = as.findObjectType('ProgramTemplateType', nsLads);
  const setType = as.findObjectType('VariableSetType', nsLads);
  const propertyType = as.findObjectType('SupportedPropertyType', nsLads);
  if (!templateType || !setType || !propertyType) throw new Error('LADS program types not loaded');
  const pm = unit.getComponentByName('ProgramManager', nsLads) as UAObject;
  const set = pm.getComponentByName('ProgramTemplateSet', nsLads) as UAObject;
  const declared = new Map<TechniqueParamName, UAVariable[]>();
  for (const technique of TECHNIQUES) {
    const t = templateType.instantiate({ browseName: { name: technique, namespaceIndex: namespace.index }, componentOf: set, namespace }) as UAObject;
    putValue(t, 'DeviceTemplateId', nsLads, DataType.String, technique);
    putValue(t, 'Author', nsLads, DataType.String, 'labloop');
    putValue(t, 'Version', nsLads, DataType.String, '1');
    putValue(t, 'Created', nsLads, DataType.DateTime, created);
    putValue(t, 'Modified', nsLads, DataType.DateTime, created);
    putValue(t, 'Description', nsLads, DataType.LocalizedText, coerceLocalizedText(DESCRIPTIONS[technique]));
    const params = setType.instantiate({
      browseName: { name: PARAMETER_SET, namespaceIndex: namespace.index },
      componentOf: t,
      description: `parameters of ${technique} (StartProgram Properties: key = browse name, value = a JSON number)`,
      namespace,
    }) as UAObject;
    for (const name of TEMPLATE_PARAMS[technique]) {
      const spec: ParamSpec = TECHNIQUE_PARAMS[name];
      const v = addAnalogItem(namespace, params, {
        name,
        unit: spec.unit,
        range: [spec.min, spec.max],
        description: spec.description,
        dataType: spec.integer ? 'Int32' : 'Double',
        value: spec.default,
      });
      declared.set(name, [...(declared.get(name) ?? []), v]);
    }
  }
  const supported = unit.getComponentByName('SupportedPropertiesSet', nsLads) as UAObject | null;
  if (!supported) return;
  for (const [name, variables] of declared) {
    const p = propertyType.instantiate({
      browseName: { name, namespaceIndex: namespace.index },
      componentOf: supported,
      description: TECHNIQUE_PARAMS[name].description,
      namespace,
    }) as UAObject;
    for (const v of variables) p.addReference({ referenceType: 'Organizes', nodeId: v.nodeId, isForward: true });
  }
}
