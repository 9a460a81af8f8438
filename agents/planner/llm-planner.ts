import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { ModelPlanner, ProviderError, type Complete, type ModelPlannerOptions } from './model-planner.ts';
import type { ChatMessage } from './prompt.ts';

function toLangChain(m: ChatMessage): BaseMessage {
  return m.role === 'system' ? new SystemMessage(m.content) : m.role === 'user' ? new HumanMessage(m.content) : new AIMessage(m.content);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c: unknown) => (typeof c === 'string' ? c : c && typeof c === 'object' && 'text' in c ? String((c as { text: unknown }).text) : '')).join('');
  return '';
}

/** A LangChain chat model as one turn: the reply's text, or its first tool call's arguments as JSON. */
export function langChainComplete(model: BaseChatModel): Complete {
  return async (messages, signal) => {
    let reply: AIMessage;
    try {
      reply = (await model.invoke(messages.map(toLangChain), { signal })) as AIMessage;
    } catch (e) {
      const err = e as Error;
      const timeout = signal.aborted || /timeout|timed out/i.test(`${err.name} ${err.message}`);
      throw new ProviderError(`${err.name}: ${err.message}`.slice(0, 1000), timeout ? 'timeout' : 'provider');
    }
    const tool = reply.tool_calls?.[0];
    const invalid = reply.invalid_tool_calls?.[0];
    const text = tool ? JSON.stringify(tool.args) : invalid?.args !== undefined ? String(invalid.args) : textOf(reply.content);
    const tokens = reply.usage_metadata?.total_tokens ?? Math.ceil(messages.reduce((n, m) => n + m.content.length, text.length) / 4);
    return { text, tokens };
  };
}

export type LlmPlannerOptions = Omit<ModelPlannerOptions, 'kind' | 'complete'> & { model: BaseChatModel };

/** The planner backed by a chat model (any OpenAI-compatible endpoint through @langchain/openai, or a fake in tests). */
export class LlmPlanner extends ModelPlanner {
  constructor(opts: LlmPlannerOptions) {
    const { model, ...rest } = opts;
    super({ ...rest, kind: 'llm', complete: langChainComplete(model) });
  }
}
