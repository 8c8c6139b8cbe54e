export { pricingRoutes } from './pricing.routes.ts';
export { priceOrder, type OrderPricing, type PricedOrder } from './price-order.ts';
export { seedDemoPricing } from './seed.ts';
export { quote } from './quote.service.ts';
export type { SalesChannel } from './pricing.queries.ts';
export { priceRanges, type PriceRange } from './price-cards.service.ts';
