import {
  BrowseDirection,
  DataType,
  NodeClass,
  Range,
  Variant,
  VariantArrayType,
  coerceLocalizedText,
  makeEUInformation,
  promoteToStateMachine,
  type AddressSpace,
  type BaseNode,
  type Namespace,
  type UAObject,
  type UAVariable,
} from 'node-opcua';

/**
 * Address-space helpers for the LADS servers we run (the station twin and the test servers): repairs of the shipped
 * LADS nodeset, engineering units, analog items, state machines and child lookups.
 */

/**
 * The LADS 1.0 nodeset shares the identification properties of LADSDeviceType (and LADSComponentType) between the
 * type and its `Identification` add-in: one node with two HasProperty parents. Every instance inherits the sharing,
 * node-opcua warns about it ("first one will be used as parent") and clients that walk the tree meet the same node
 * twice. This gives each such parent object its own copy of the property in the type model, before anything is
 * instantiated, so instances carry no duplicate references. Returns the number of references repaired.
 */
export function repairSharedTypeChildren(as: AddressSpace, namespaceUri: string): number {
  const ns = as.getNamespace(namespaceUri);
  if (!ns) return 0;
  let repaired = 0;
  const nodes = [...(ns as unknown as { _nodeid_index: Map<string, BaseNode> })._nodeid_index.values()];
  for (const node of nodes) {
    if (node.nodeClass !== NodeClass.Variable) continue;
    const parents = node.findReferencesEx('Aggregates', BrowseDirection.Inverse);
    if (parents.length < 2) continue;
    for (const ref of parents.slice(1)) {
      const parent = as.findNode(ref.nodeId);
      if (!parent || parent.nodeClass !== NodeClass.Object) continue;
      const v = node as UAVariable;
      const referenceType = as.findNode(ref.referenceType)?.browseName.name ?? 'HasProperty';
      parent.removeReference({ referenceType: ref.referenceType, nodeId: node.nodeId, isForward: true });
      const isProperty = referenceType === 'HasProperty';
      ns.addVariable({
        ...(isProperty ? { propertyOf: parent } : { componentOf: parent, typeDefinition: v.typeDefinitionObj?.nodeId }),
        browseName: v.browseName,
        description: v.description ?? undefined,
        dataType: v.dataType,
        valueRank: v.valueRank,
        modellingRule: v.modellingRule ?? 'Mandatory',
      });
      repaired++;
    }
  }
  return repaired;
}

/** UN/CEFACT common codes (OPC UA EngineeringUnits) of the units our servers use; others get unitId −1. */
const UNITS: Record<string, readonly [code: string, description: string]> = {
  V: ['VLT', 'volt'],
  A: ['AMP', 'ampere'],
  s: ['SEC', 'second'],
  ms: ['C26', 'millisecond'],
  Hz: ['HTZ', 'hertz'],
  '°C': ['CEL', 'degree Celsius'],
  'cm²': ['CMK', 'square centimetre'],
  Ω: ['OHM', 'ohm'],
  F: ['FAR', 'farad'],
  nm: ['C45', 'nanometre'],
  mM: ['M33', 'millimole per litre'],
};

/** EUInformation for a unit symbol (`V`, `A`, `mA/cm²`, ...); `''` or `1` is dimensionless. */
export function euInformation(unit: string): ReturnType<typeof makeEUInformation> {
  const known = UNITS[unit];
  if (known) return makeEUInformation(known[0], unit, known[1]);
  const eu = makeEUInformation('', unit === '1' ? '' : unit, unit === '1' || unit === '' ? 'dimensionless' : unit);
  eu.unitId = -1;
  return eu;
}

/** Sets EngineeringUnits and EURange of an AnalogItemType (or subtype) variable that already has those properties. */
export function setAnalogMeta(v: UAVariable, meta: { unit: string; range?: readonly [number, number] }): void {
  v.getPropertyByName('EngineeringUnits')?.setValueFromSource({ dataType: DataType.ExtensionObject, value: euInformation(meta.unit) });
  if (meta.range) v.getPropertyByName('EURange')?.setValueFromSource({ dataType: DataType.ExtensionObject, value: new Range({ low: meta.range[0], high: meta.range[1] }) });
}

export interface AnalogItemSpec {
  name: string;
  unit: string;
  /** EURange: the values expected in normal operation. */
  range: readonly [number, number];
  description?: string;
  dataType?: 'Double' | 'Int32' | 'UInt32';
  /** A fixed value ... */
  value?: number | number[];
  /** ... or one read on demand. */
  get?: () => number | number[];
  array?: boolean;
}

/** Adds an AnalogItemType variable (EURange, EngineeringUnits) as a component of `parent`. */
export function addAnalogItem(namespace: Namespace, parent: BaseNode, spec: AnalogItemSpec): UAVariable {
  const dataType = DataType[spec.dataType ?? 'Double'];
  const arrayType = spec.array ? VariantArrayType.Array : VariantArrayType.Scalar;
  const variant = (x: number | number[]) => ({ dataType, arrayType, value: spec.array ? Float64Array.from(x as number[]) : x });
  const get = spec.get;
  return namespace.addAnalogDataItem({
    componentOf: parent,
    browseName: { name: spec.name, namespaceIndex: namespace.index },
    ...(spec.description ? { description: coerceLocalizedText(spec.description) ?? undefined } : {}),
    dataType: spec.dataType ?? 'Double',
    valueRank: spec.array ? 1 : -1,
    ...(spec.array ? { arrayType, arrayDimensions: [0] } : {}),
    engineeringUnitsRange: { low: spec.range[0], high: spec.range[1] },
    engineeringUnits: euInformation(spec.unit),
    value: get ? { get: () => new Variant(variant(get())) } : variant(spec.value ?? 0),
  }) as unknown as UAVariable;
}

/**
 * Adds a Double (or Double[]) variable with only an EngineeringUnits property: the light-weight form for result data,
 * where an AnalogItemType's EURange would add nothing (a few times cheaper to create than `addAnalogItem`).
 */
export function addMeasuredVariable(namespace: Namespace, parent: BaseNode, name: string, unit: string, value: number | readonly number[]): UAVariable {
  const array = typeof value !== 'number';
  const v = namespace.addVariable({
    componentOf: parent,
    browseName: { name, namespaceIndex: namespace.index },
    dataType: 'Double',
    valueRank: array ? 1 : -1,
    ...(array ? { arrayDimensions: [0] } : {}),
    value: { dataType: DataType.Double, arrayType: array ? VariantArrayType.Array : VariantArrayType.Scalar, value: array ? Float64Array.from(value) : value },
  });
  if (unit !== '' && unit !== '1')
    namespace.addVariable({ propertyOf: v, browseName: { name: 'EngineeringUnits', namespaceIndex: 0 }, dataType: 'EUInformation', value: { dataType: DataType.ExtensionObject, value: euInformation(unit) } });
  return v;
}

/** Adds a plain variable (String, Boolean, String[] ...) as a component of `parent`. */
export function addPlainVariable(
  namespace: Namespace,
  parent: BaseNode,
  name: string,
  dataType: 'String' | 'Boolean' | 'Double' | 'DateTime',
  value: unknown,
  o: { array?: boolean; description?: string } = {},
): UAVariable {
  return namespace.addVariable({
    componentOf: parent,
    browseName: { name, namespaceIndex: namespace.index },
    ...(o.description ? { description: o.description } : {}),
    dataType,
    valueRank: o.array ? 1 : -1,
    ...(o.array ? { arrayDimensions: [0] } : {}),
    value: { dataType: DataType[dataType], arrayType: o.array ? VariantArrayType.Array : VariantArrayType.Scalar, value },
  });
}

/** A finite state machine of the address space with node-opcua's state handling (CurrentState, Id, Number, LastTransition). */
export function stateMachine(node: UAObject): ReturnType<typeof promoteToStateMachine> {
  return promoteToStateMachine(node);
}

/**
 * Builds `parent`'s (further) children only when something looks at them: the first Browse of `parent`, or a
 * TranslateBrowsePath step from `parent` to a name none of its present children has. Both services reach a node's
 * children only through these two BaseNode methods, so a client sees the same children (names, types, values, order
 * after those already present) as if they had been built at once; only their numeric NodeIds are allocated later.
 * A result nobody browses never pays for its subtree. Server-side code must not look up the deferred children
 * directly (getChildByName & co. do not build them).
 */
export function buildOnFirstLook(parent: BaseNode, build: () => void): void {
  type Look = Pick<BaseNode, 'browseNode' | 'browseNodeByTargetName'>;
  const own = parent as unknown as Partial<Look>;
  let built = false;
  const materialise = (): void => {
    if (built) return;
    built = true;
    delete own.browseNode;
    delete own.browseNodeByTargetName;
    build();
  };
  const proto = Object.getPrototypeOf(parent) as Look;
  own.browseNode = (description, context) => {
    materialise();
    return proto.browseNode.call(parent, description, context);
  };
  own.browseNodeByTargetName = (element, isLast) => {
    const found = proto.browseNodeByTargetName.call(parent, element, isLast);
    if (found.length > 0 || built) return found;
    materialise();
    return proto.browseNodeByTargetName.call(parent, element, isLast);
  };
}

/** A child by browse name and namespace index; throws naming the parent when it is missing. */
export function childOf(parent: BaseNode, name: string, ns: number): BaseNode {
  const c = parent.getChildByName(name, ns);
  if (!c) throw new Error(`${parent.browseName.toString()} has no child ${ns}:${name}`);
  return c;
}

/** Writes a property or variable if the node has it (optional members of a type). */
export function putValue(parent: BaseNode, name: string, ns: number, dataType: DataType, value: unknown): void {
  (parent.getChildByName(name, ns) as UAVariable | null)?.setValueFromSource({ dataType, value });
}
