export { ordersRoutes } from './orders.routes.ts';
export { sweepOrders, type OrdersContext } from './orders.service.ts';
export { startOrdersSweeper } from './sweeper.ts';
export { createPaymentProvider } from './payments/index.ts';
export type { PaymentProvider } from './payments/provider.ts';
export type { TestProvider } from './payments/test-provider.ts';
