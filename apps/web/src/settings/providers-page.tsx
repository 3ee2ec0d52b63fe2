/**
 * Route `/settings/providers`: the user's provider API keys and OpenAI-compatible endpoints, provider health (shared circuit
 * breakers, error rates, latency), recent fallbacks and breaker changes, the price table and the
 * cross-provider model map. Loaded lazily.
 */
import type { ReactNode } from 'react';
import { CompatibleEndpoints } from './compatible-endpoints.tsx';
import { ModelMap } from './model-map.tsx';
import { PricingTable } from './pricing-table.tsx';
import { ProviderEvents, ProviderHealth } from './provider-health.tsx';
import { ProviderKeys } from './provider-keys.tsx';

export default function ProvidersPage() {
  return (
    <div className="mx-auto max-w-5xl space-y-10 px-4 py-8 sm:px-6">
      <title>Providers · SWARM</title>
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Providers</h1>
        <p className="mt-1 text-sm text-slate-600">
          API keys for OpenAI, Anthropic and Gemini, how the providers are doing, what their tokens cost, and
          which models stand in for one another when an agent falls back.
        </p>
      </div>
      <PageSection id="keys" title="API keys" description="Used for your runs; never shown again once saved.">
        <ProviderKeys />
      </PageSection>
      <PageSection
        id="compatible"
        title="OpenAI-compatible endpoints"
        description="Ollama, vLLM, LM Studio, Groq, Together, OpenRouter, Azure OpenAI: pick one on an agent node by its name."
      >
        <CompatibleEndpoints />
      </PageSection>
      <PageSection
        id="health"
        title="Health"
        description="Shared by every runner: a breaker opens after repeated failures and the router skips that model until it recovers."
      >
        <ProviderHealth />
      </PageSection>
      <PageSection
        id="events"
        title="Recent events"
        description="Fallbacks in your runs and circuit breaker changes."
      >
        <ProviderEvents />
      </PageSection>
      <PageSection
        id="pricing"
        title="Pricing"
        description="Costs are computed from the price in effect when each call started."
      >
        <PricingTable />
      </PageSection>
      <PageSection
        id="model-map"
        title="Model map"
        description="Equivalent models on other providers, in the order a fallback tries them."
      >
        <ModelMap />
      </PageSection>
    </div>
  );
}

function PageSection({
  id,
  title,
  description,
  children,
}: {
  id: string;
  title: string;
  description: string;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={`${id}-heading`} data-testid={`providers-${id}`}>
      <h2 id={`${id}-heading`} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      <p className="mt-0.5 mb-3 text-sm text-slate-500">{description}</p>
      {children}
    </section>
  );
}
