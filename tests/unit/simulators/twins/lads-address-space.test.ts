import { AddressSpace, BrowseDirection, NodeClass, RelativePathElement, coerceQualifiedName, generateAddressSpace, nodesets, resolveNodeId, type UAObject } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPlainVariable, buildOnFirstLook } from '../../../../simulators/twins/lads-address-space.ts';

describe('buildOnFirstLook', () => {
  let as: AddressSpace;
  beforeAll(async () => {
    as = AddressSpace.create();
    await generateAddressSpace(as, [nodesets.standard]);
  });
  afterAll(() => as.dispose());

  const setUp = (): { parent: UAObject; builds: () => number } => {
    const ns = as.registerNamespace(`urn:test:${Math.random()}`);
    const parent = ns.addObject({ browseName: 'Set', organizedBy: as.rootFolder.objects });
    addPlainVariable(ns, parent, 'Eager', 'String', 'now');
    let builds = 0;
    buildOnFirstLook(parent, () => {
      builds++;
      addPlainVariable(ns, parent, 'Deferred', 'String', 'later');
    });
    return { parent, builds: () => builds };
  };
  const names = (parent: UAObject): string[] =>
    parent.browseNode({ browseDirection: BrowseDirection.Forward, referenceTypeId: resolveNodeId('HierarchicalReferences'), includeSubtypes: true, nodeClassMask: 0, resultMask: 0x3f }).map((r) => r.browseName.name ?? '');
  const step = (parent: UAObject, name: string): number =>
    parent.browseNodeByTargetName(new RelativePathElement({ referenceTypeId: resolveNodeId('HierarchicalReferences'), includeSubtypes: true, isInverse: false, targetName: coerceQualifiedName({ name, namespaceIndex: parent.nodeId.namespace }) }), true).length;

  it('builds the deferred children once, on the first browse, after the present ones', () => {
    const { parent, builds } = setUp();
    expect(builds()).toBe(0);
    expect(names(parent)).toEqual(['Eager', 'Deferred']);
    expect(names(parent)).toEqual(['Eager', 'Deferred']);
    expect(builds()).toBe(1);
    expect(parent.getChildByName('Deferred')?.nodeClass).toBe(NodeClass.Variable);
  });

  it('answers a translate step to a present child without building, and builds for any other name', () => {
    const { parent, builds } = setUp();
    expect(step(parent, 'Eager')).toBe(1);
    expect(builds()).toBe(0);
    expect(step(parent, 'Deferred')).toBe(1);
    expect(builds()).toBe(1);
    expect(step(parent, 'Missing')).toBe(0);
    expect(builds()).toBe(1);
  });
});
