import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'labloop/import-boundaries').map((m) => m.message);
}

describe('import directions (ARCHITECTURE.md)', () => {
  it('refuses a forbidden edge: domain importing the store', async () => {
    const messages = await lint('src/domain/bad.ts', "import { x } from '../store/schema.ts';\nexport const y = x;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('src/domain must not import src/store');
  });

  it('refuses drivers importing simulators and agents importing drivers', async () => {
    expect(await lint('drivers/liquid-handler/x.ts', "import '../../simulators/world.ts';\n")).toHaveLength(1);
    expect(await lint('agents/x.ts', "import '../drivers/liquid-handler/mqtt-backend.ts';\n")).toHaveLength(1);
  });

  it('refuses I/O libraries in pure layers', async () => {
    expect(await lint('models/x.ts', "import { readFileSync } from 'node:fs';\n")).toHaveLength(1);
    expect(await lint('src/devices/x.ts', "import mqtt from 'mqtt';\n")).toHaveLength(1);
    expect(await lint('src/protocol/x.ts', "import pino from 'pino';\n")).toHaveLength(1);
  });

  it('allows the permitted edges', async () => {
    expect(await lint('src/engine/x.ts', "import '../domain/index.ts';\nimport '../protocol/index.ts';\n")).toEqual([]);
    expect(await lint('simulators/twins/x.ts', "import '../../drivers/liquid-handler/wire-contract.ts';\n")).toEqual([]);
    expect(await lint('src/app/x.ts', "import '../../simulators/world.ts';\nimport '../../drivers/electrochem/opcua-backend.ts';\n")).toEqual([]);
  });
});
