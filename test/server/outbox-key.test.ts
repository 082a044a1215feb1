import { describe, expect, it } from 'vitest';
import { deliveryKey } from '../../server/duty/outbox';

describe('when a webhook delivery is keyed', () => {
  it('then an ASCII key is as it always was', () => {
    expect(deliveryKey({ space: 'live', eventId: 'item|case|h1', endpoint: 'robot' })).toBe('live|item|case|h1|robot');
  });

  it('then a case id or an endpoint name in Chinese is percent-encoded, so fetch can send it as a header', async () => {
    const key = deliveryKey({ space: 'live', eventId: 'item|case|工单7', endpoint: '值班群' });
    expect(key).toBe('live|item|case|%E5%B7%A5%E5%8D%957|%E5%80%BC%E7%8F%AD%E7%BE%A4');
    expect(new Headers({ 'x-cityops-delivery': key }).get('x-cityops-delivery')).toBe(key);
    expect(() => new Headers({ 'x-cityops-delivery': 'live|item|case|工单7|值班群' })).toThrow();
    // `%` itself is encoded, so no two keys read alike.
    expect(deliveryKey({ space: 'live', eventId: 'a%E5', endpoint: 'r' })).toBe('live|a%25E5|r');
  });
});
