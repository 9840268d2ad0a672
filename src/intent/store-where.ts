/** Which intent store a registry option names. */
export type StoreWhere =
  | { readonly kind: 'sqlite'; readonly registry: string | undefined }
  /** `url` undefined: DBLOCK_POSTGRES_URL, else the PG* variables. */
  | { readonly kind: 'postgres'; readonly url: string | undefined; readonly scope: string };
