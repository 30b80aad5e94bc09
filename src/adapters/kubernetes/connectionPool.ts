import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * A KubeConfig whose requests share one kept-alive connection pool per cluster and user.
 * client-node 2.0.1 builds a new undici Agent (so a new TLS connection and handshake) for every
 * request when the kubeconfig has TLS settings; here the first Agent built for a cluster is kept
 * and handed to every later request, watch and log stream. An Agent holds no connection until it
 * is used, so the discarded ones cost nothing; idle connections close on undici's keep-alive timeout.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = JSON.stringify([this.getCurrentCluster()?.name, this.getCurrentUser()?.name]);
    const pool = this.pools.get(key);
    if (pool) context.setDispatcher(pool);
    else this.pools.set(key, fresh);
  }
}
