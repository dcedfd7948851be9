/** The seed model (seed step 2), as docs/reference/rest.md writes it. */
// A type (not an interface) so it fits Record<string, unknown> bodies.
export type SeedModel = {
  id: string;
  name: string;
  type: 'chat';
  runtime: 'vllm';
  memory: string;
  context_length: number;
  description: string;
  enabled: boolean;
  auto_pull: boolean;
  prewarm: boolean;
  runtime_args: string[];
};

/** The seed's model JSON (docs/reference/rest.md), verbatim, as an operator saves it to model.json. */
export const SEED_MODEL_FILE = `{"id":"Qwen/Qwen2.5-VL-7B-Instruct","name":"Qwen 2.5 VL 7B","type":"chat","runtime":"vllm",
 "memory":"39GB","context_length":32768,"description":"…","enabled":true,"auto_pull":true,
 "prewarm":true,"runtime_args":["--trust-remote-code","--max-model-len","32768"]}
`;

/** The seed model as a request body. Spread it before changing a field: every test file shares it. */
export const SEED_MODEL: SeedModel = JSON.parse(SEED_MODEL_FILE);

/** The seed model as every response shows it: memory in bytes, and a system model (docs/reference/rest.md); without its slots. */
export const SEED_MODEL_VIEW = { ...SEED_MODEL, memory: 39_000_000_000, org_id: null, owner_id: null };
