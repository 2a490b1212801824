/** Command-centre filters and the Banyuwangi region lists behind the district/village pickers. */
import type { ArrivalEvent, HealthStatus } from '@sk/protocol';
import { api } from './api.ts';
import type { ArrivalQuery } from './live.svelte.ts';

export interface District { code: string; name: string }
export interface Village { code: string; name: string; districtCode: string; districtName: string; kind: string }

export class Filters {
  checkpoint = $state('');
  district = $state('');
  village = $state('');
  health = $state<HealthStatus | ''>('');

  active = $derived(this.checkpoint !== '' || this.district !== '' || this.village !== '' || this.health !== '');
  query = $derived<ArrivalQuery>({ checkpoint: this.checkpoint, district: this.district, village: this.village, health: this.health });

  matches = (e: ArrivalEvent): boolean =>
    (this.checkpoint === '' || e.checkpointId === this.checkpoint) &&
    (this.district === '' || e.destinationDistrictCode === this.district) &&
    (this.village === '' || e.destinationVillageCode === this.village) &&
    (this.health === '' || e.healthStatus === this.health);

  clear(): void {
    this.checkpoint = '';
    this.district = '';
    this.village = '';
    this.health = '';
  }
}

export class Regions {
  districts = $state.raw<District[]>([]);
  villages = $state.raw<Village[]>([]);

  async load(): Promise<void> {
    try {
      const r = await api<{ districts: District[]; villages: Village[] }>('/api/regions');
      this.districts = [...r.districts].sort((a, b) => a.name.localeCompare(b.name, 'id'));
      this.villages = [...r.villages].sort((a, b) => a.name.localeCompare(b.name, 'id'));
    } catch {
      // Pickers stay empty; the feed and the other filters still work.
    }
  }
}
