import { z } from 'zod';

export const daytonaSchema = z.strictObject({
  api_url: z.string().url(),
  api_key: z.string().min(1).describe('Bearer token; prefer api_key_file.'),
  organization_id: z.string().optional(),
  refresh_seconds: z.number().positive().default(30),
  timeout_seconds: z.number().positive().default(10),
  max_staleness_seconds: z.number().positive().default(300),
  max_sandbox_series: z.number().int().nonnegative().default(5000),
});

export type DaytonaConfig = z.infer<typeof daytonaSchema>;
