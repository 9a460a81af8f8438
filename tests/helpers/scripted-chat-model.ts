import { BaseChatModel, type BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';

/** A scripted answer: text, a tool call's arguments, an error to throw, or a delay before any of them. */
export type Scripted = string | { toolArgs: Record<string, unknown> } | { error: Error } | { delay_ms: number; then: Scripted };
export type Responder = (messages: { role: string; content: string }[]) => Scripted;

function roleOf(m: BaseMessage): string {
  const t = m.getType();
  return t === 'human' ? 'user' : t === 'ai' ? 'assistant' : t;
}

/**
 * A fake chat model for unit tests: answers from a queue (and throws when it runs out) or from a responder function,
 * honours the abort signal, and reports token usage (characters / 4).
 */
export class ScriptedChatModel extends BaseChatModel {
  readonly seen: { role: string; content: string }[][] = [];

  constructor(private readonly script: Scripted[] | Responder) {
    super({});
  }

  _llmType(): string {
    return 'scripted';
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'] & BaseChatModelCallOptions): Promise<ChatResult> {
    const plain = messages.map((m) => ({ role: roleOf(m), content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content) }));
    this.seen.push(plain);
    let next: Scripted | undefined = typeof this.script === 'function' ? this.script(plain) : this.script.shift();
    if (next === undefined) throw new Error('ScriptedChatModel: no scripted answer left');
    while (typeof next === 'object' && 'delay_ms' in next) {
      const { delay_ms, then }: { delay_ms: number; then: Scripted } = next;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, delay_ms);
        options.signal?.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))), { once: true });
      });
      next = then;
    }
    if (typeof next === 'object' && 'error' in next) throw next.error;
    const text = typeof next === 'string' ? next : '';
    const toolCalls = typeof next === 'object' && 'toolArgs' in next ? [{ name: 'answer', args: next.toolArgs, id: 'call_1', type: 'tool_call' as const }] : [];
    const prompt = plain.reduce((n, m) => n + m.content.length, 0);
    const message = new AIMessage({
      content: text,
      tool_calls: toolCalls,
      usage_metadata: { input_tokens: Math.ceil(prompt / 4), output_tokens: Math.ceil(text.length / 4), total_tokens: Math.ceil(prompt / 4) + Math.ceil(text.length / 4) },
    });
    return { generations: [{ text, message }] };
  }
}
