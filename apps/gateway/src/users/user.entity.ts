import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'boolean' })
  admin!: boolean;

  /** SHA-256 of the API key; the key itself is shown once and never stored. */
  @Column({ type: 'text', name: 'api_key_hash', unique: true })
  apiKeyHash!: string;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
