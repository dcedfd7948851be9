import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from './user.entity';

/** One API key of a user. Only its SHA-256 is stored; the key itself is shown once. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid', name: 'user_id' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'text', name: 'key_hash', unique: true })
  keyHash!: string;

  /** The first characters of the key, safe to show; null for a key migrated from before keys were listed. */
  @Column({ type: 'text', nullable: true })
  prefix!: string | null;

  /** The key of HELIX_ADMIN_API_KEY. */
  @Column({ type: 'boolean', default: false })
  bootstrap!: boolean;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
