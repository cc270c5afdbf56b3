import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** The audit API (AuditController). Needs the SQL database (the audit index) and the platform's settings and clock. */
@Module({ controllers: [AuditController] })
export class AuditModule {}
