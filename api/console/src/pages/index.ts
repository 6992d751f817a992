import type { ComponentType } from 'react';
import { Exceptions } from './Exceptions';
import { OrderDetail } from './OrderDetail';
import { Orders } from './Orders';
import { Stock } from './Stock';
import { Warehouse } from './Warehouse';
import { Metrics } from './Metrics';
import { Mail } from './Mail';

// Every page of the console, one line each: its name, its path under /console, its nav label (none: not
// in the nav, e.g. a detail page), the component, and the permission it needs to show in the nav.
export interface ConsolePage {
  name: string;
  path: string;
  nav?: string;
  component: ComponentType;
  permission?: string;
}

export const pages: ConsolePage[] = [
  { name: 'orders', path: 'orders', nav: 'Orders', component: Orders, permission: 'orders:read' },
  { name: 'order', path: 'orders/:id', component: OrderDetail, permission: 'orders:read' },
  { name: 'exceptions', path: 'exceptions', nav: 'Exceptions', component: Exceptions, permission: 'orders:read' },
  { name: 'stock', path: 'stock', nav: 'Stock', component: Stock, permission: 'stock:read' },
  { name: 'warehouse', path: 'warehouse', nav: 'Warehouse', component: Warehouse, permission: 'picking:read' },
  { name: 'mail', path: 'mail', nav: 'Mail', component: Mail, permission: 'notifications:mailbox' },
  { name: 'metrics', path: 'metrics', nav: 'Metrics', component: Metrics, permission: 'reports:read' },
];
