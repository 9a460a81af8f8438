/**
 * The stub model of bench:planner in a process of its own, so a dry run's planner calls do not share an event loop
 * with the server answering them. Prints its base URL as the first stdout line; stops on SIGTERM.
 */
import { modelLikeResponder } from '../tests/helpers/model-like-stub.ts';
import { startOpenAiStub } from '../tests/helpers/openai-stub.ts';

const stub = await startOpenAiStub(modelLikeResponder({ triageReason: 'device fault' }));
process.stdout.write(`${stub.baseUrl}\n`);
process.on('SIGTERM', () => void stub.close().then(() => process.exit(0)));
