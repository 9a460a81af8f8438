import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import { potentiostatBackendContract } from './potentiostat-backend.contract.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture } from '../helpers/opcua-station.ts';

potentiostatBackendContract('OPC UA driver against the LADS twin (security None, loopback)', async () => {
  const fx = await startTwinFixture('contract');
  const backend = new PotentiostatOpcuaBackend({
    deviceId: 'es1',
    unit: 'cell1',
    connection: { endpointUrl: fx.endpointUrl, pkiFolder: `${opcuaPkiFolder('contract')}/client`, acceptUnknownServerCertificate: true },
    timeouts: { run_s: 20, poll_ms: 100 },
  });
  return {
    backend,
    cell: 'cell1',
    fillCell: (r) => fillCellWithRecipe(fx.world, 'cell1', r),
    emptyCell: () => fx.world.emptyCell('cell1'),
    close: () => fx.close(),
  };
});
