/** Request facts every audited action carries (who asks, from where); plain data, no HTTP. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  deviceId?: string | null;
  deviceName?: string | null;
}
