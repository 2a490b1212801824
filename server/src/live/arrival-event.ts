/** Scan → ArrivalEvent (what the console sees), pure. The NIK leaves the server only masked. */
import { healthStatus, maskNik, type ArrivalEvent, type Scan } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';

export function toArrivalEvent(scan: Scan, eventId: number, receivedAt: string, regions: Regions, feverC: number): ArrivalEvent {
  const village = regions.village(scan.destinationVillageCode);
  const regencyCode = `${scan.nik.slice(0, 2)}.${scan.nik.slice(2, 4)}`;
  const districtCode = scan.destinationVillageCode.slice(0, 8);
  return {
    eventId,
    scanId: scan.scanId,
    checkpointId: scan.checkpointId,
    deviceId: scan.deviceId,
    scannedAt: scan.scannedAt,
    receivedAt,
    nikMasked: maskNik(scan.nik),
    name: scan.name,
    sex: scan.sex,
    birthDate: scan.birthDate,
    originAddress: scan.originAddress,
    originRegencyCode: regencyCode,
    originRegencyName: regions.regency(regencyCode) ?? null,
    destinationVillageCode: scan.destinationVillageCode,
    destinationVillageName: village?.name ?? null,
    destinationDistrictCode: districtCode,
    destinationDistrictName: regions.district(districtCode) ?? null,
    health: scan.health,
    healthStatus: healthStatus(scan.health, feverC),
  };
}
